// Drives /map in headless Chromium through playwright-core (installed into a temp dir by
// tests/api_clients.rs): waits for the layers, clicks an AED marker, flips "available
// now", enters the token for the attention list, and takes a screenshot. Prints one JSON
// line of what it saw; the Rust test asserts on it.
"use strict";
const { chromium } = require("playwright-core");
const [url, executablePath, shot, token] = process.argv.slice(2);

(async () => {
  const browser = await chromium.launch({
    executablePath,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    // playwright gives every launch a fresh temporary profile (--user-data-dir).
  });
  const page = await browser.newPage({ viewport: { width: 1100, height: 750 } });
  const errors = [];
  const requests = [];
  page.on("console", m => { if (m.type() === "error") errors.push(m.text()); });
  page.on("pageerror", e => errors.push(String(e)));
  page.on("request", r => requests.push(r.url()));
  await page.goto(url);
  await page.waitForSelector("body[data-map-ready='1']", { timeout: 20000 });
  const out = {};
  out.drawn = Number(await page.getAttribute("body", "data-features-drawn"));
  out.aeds_before = Number(await page.getAttribute("body", "data-aeds-drawn"));
  // Click T1 (the Town Hall) where it is drawn.
  // Close in, so that no neighbouring marker lies under the pointer, and let the SVG
  // renderer settle before clicking.
  await page.evaluate(() => map.setView(aedMarkers.find(m => m.feature.id === "T1").getLatLng(), 18, { animate: false }));
  await page.waitForTimeout(700);
  const pt = await page.evaluate(() => {
    const m = aedMarkers.find(m => m.feature.id === "T1");
    const p = map.latLngToContainerPoint(m.getLatLng());
    const r = document.getElementById("map").getBoundingClientRect();
    return { x: r.left + p.x, y: r.top + p.y };
  });
  await page.mouse.click(pt.x, pt.y);
  await page.waitForSelector(".leaflet-popup-content", { timeout: 10000 });
  out.popup = await page.textContent(".leaflet-popup-content");
  await page.click("#now");
  out.aeds_now = Number(await page.getAttribute("body", "data-aeds-drawn"));
  await page.click("#now");
  out.aeds_after = Number(await page.getAttribute("body", "data-aeds-drawn"));
  out.legend = await page.textContent(".legend");
  await page.screenshot({ path: shot });
  await page.fill("#token", token);
  await page.click("#tokform button");
  await page.waitForSelector("body[data-attention]", { timeout: 10000 });
  out.attention = Number(await page.getAttribute("body", "data-attention"));
  out.attention_text = await page.textContent("#attention");
  out.errors = errors;
  out.outside = requests.filter(u => !u.startsWith(new URL(url).origin) && !u.startsWith("data:"));
  console.log(JSON.stringify(out));
  await browser.close();
})().catch(e => { console.log(JSON.stringify({ fatal: String(e && e.stack || e) })); process.exit(1); });

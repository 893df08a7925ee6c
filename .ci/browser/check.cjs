// Loads a `chaos --html` page in headless Chromium and checks it as a
// person would see it:
//
//   node check.cjs PAGE.html SCREENSHOT.png SIGNATURE
//
// - the page loads with no console error, no page error, and no request
//   for anything but the page itself (it must be self-contained);
// - the lanes are drawn (one `g.lane` per thread, each with its op boxes),
//   one op threw, the race window is there and lies over the failing op;
// - the finding's signature and a replay command are on the page;
// - a screenshot of the whole page is saved.
//
// Chromium is the system's (CHROMIUM, default /usr/bin/chromium): a
// browser is never downloaded. Prints one line; exits 1 on any failure.
const path = require("node:path");
const { chromium } = require("playwright-core");

const [pagePath, shot, signature] = process.argv.slice(2);
if (!pagePath || !shot || !signature) {
  console.error("usage: node check.cjs PAGE.html SCREENSHOT.png SIGNATURE");
  process.exit(2);
}

function fail(message) {
  console.error(`html check: ${pagePath}: ${message}`);
  process.exitCode = 1;
}

(async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    chromiumSandbox: false,
    // A closed network refuses Chromium's own connections: make none.
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const problems = [];
    page.on("console", (m) => {
      if (m.type() === "error") problems.push(`console error: ${m.text()}`);
    });
    page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
    const url = "file://" + path.resolve(pagePath);
    page.on("request", (r) => {
      if (r.url() !== url) problems.push(`requests ${r.url()}: the page must be self-contained`);
    });
    page.on("requestfailed", (r) => problems.push(`request failed: ${r.url()}`));
    const response = await page.goto(url, { waitUntil: "load" });
    if (!response || !response.ok()) problems.push("did not load");

    const seen = await page.evaluate(() => {
      const lanes = [...document.querySelectorAll("svg.lanes g.lane")];
      const box = (el) => {
        const r = el.getBoundingClientRect();
        return { left: r.left, right: r.right, width: r.width, height: r.height };
      };
      const failed = document.querySelector("svg.lanes g.op-failed rect");
      const window = document.querySelector("svg.lanes .race-window rect");
      return {
        lanes: lanes.map((l) => ({
          thread: l.getAttribute("data-thread"),
          ops: l.querySelectorAll("g.op").length,
          labels: [...l.querySelectorAll("g.op")].map((o) => o.getAttribute("data-label")),
        })),
        failed: failed && box(failed),
        window: window && box(window),
        windowOps: document.querySelector("svg.lanes .race-window")?.getAttribute("data-ops"),
        text: document.body.innerText,
        commands: [...document.querySelectorAll("pre.command")].map((p) => p.innerText),
      };
    });
    if (seen.lanes.length === 0) problems.push("no lane drawn");
    for (const l of seen.lanes) {
      if (l.ops === 0) problems.push(`lane of thread ${l.thread} has no op`);
    }
    if (!seen.failed) problems.push("no op drawn as failed");
    if (!seen.window || seen.window.width <= 0) problems.push("no race window");
    if (seen.failed && seen.window) {
      if (seen.failed.left < seen.window.left - 1 || seen.failed.right > seen.window.right + 1) {
        problems.push("the race window does not cover the failing op");
      }
    }
    if (!seen.text.includes(signature)) problems.push(`the finding ${JSON.stringify(signature)} is not on the page`);
    if (!seen.commands.some((c) => /\b(replay|run) /.test(c))) problems.push("no replay command on the page");

    await page.screenshot({ path: shot, fullPage: true });
    for (const p of problems) fail(p);
    if (problems.length === 0) {
      const ops = seen.lanes.reduce((n, l) => n + l.ops, 0);
      console.log(
        `html check: ${pagePath}: ${seen.lanes.length} lane(s), ${ops} op(s), race window over ${seen.windowOps}, ` +
          `no console error; screenshot ${shot}`,
      );
    }
  } finally {
    await browser.close();
  }
})().catch((e) => {
  fail(e.message.split("\n")[0]);
});

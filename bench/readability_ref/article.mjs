// Runs Mozilla Readability.js over pages and prints what it keeps, as JSON (dev tool for
// bench/extract_reference.py; not part of loom or its tests).
//
//   node article.mjs PAGE URL            one page file (.gz allowed): {"content": html, "images": [...]}
//   node article.mjs --batch             JSON lines on stdin {"id", "html", "url"} -> one JSON line each
//
// The document is built with jsdom at the page's URL and no scripts run, as the readability
// test pages were generated; relative URLs in the article are made absolute by Readability.
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { createInterface } from "node:readline";
import { createRequire } from "node:module";
import { JSDOM, VirtualConsole } from "jsdom";
import { Readability } from "@mozilla/readability";

const require = createRequire(import.meta.url);
const VERSION = require("@mozilla/readability/package.json").version;
const quiet = new VirtualConsole(); // page CSS/markup errors are noise here

function article(html, url) {
  const dom = new JSDOM(html, { url, virtualConsole: quiet });
  try {
    const parsed = new Readability(dom.window.document).parse();
    if (!parsed) return { content: null, images: [] };
    // Re-parse the article to list its <img> the way a reader sees them (src, srcset, lazy attrs).
    const frag = JSDOM.fragment(parsed.content);
    const images = [...frag.querySelectorAll("img")].map((img) => {
      const attrs = {};
      for (const a of img.attributes) attrs[a.name] = a.value;
      return attrs;
    });
    return { content: parsed.content, title: parsed.title, images };
  } finally {
    dom.window.close();
  }
}

function pageText(path) {
  let raw = readFileSync(path);
  if (path.endsWith(".gz")) raw = gunzipSync(raw);
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(raw);
  } catch {
    return raw; // not UTF-8: jsdom sniffs the <meta> charset from the bytes
  }
}

function emit(obj) {
  process.stdout.write(JSON.stringify({ readability: VERSION, ...obj }) + "\n");
}

const args = process.argv.slice(2);
if (args[0] === "--batch") {
  for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
    if (!line.trim()) continue;
    const req = JSON.parse(line);
    try {
      emit({ id: req.id, ...article(req.html, req.url) });
    } catch (err) {
      emit({ id: req.id, error: String(err && err.message ? err.message : err) });
    }
  }
} else if (args[0] === "--version") {
  emit({});
} else if (args.length === 2) {
  emit(article(pageText(args[0]), args[1]));
} else {
  process.stderr.write("usage: node article.mjs PAGE URL | --batch | --version\n");
  process.exit(2);
}

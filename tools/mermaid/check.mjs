// Parses every .mmd file named on the command line with the real mermaid parser (mermaid@11
// under jsdom) and prints one JSON line per file: {"file", "ok", "error"}. Exit 1 if any failed.
// A diagram that parses but carries configuration (a directive or front matter) fails too.
import { JSDOM } from "jsdom";
import { readFileSync } from "node:fs";

const dom = new JSDOM("<!doctype html><html><body></body></html>", { pretendToBeVisual: true });
globalThis.window = dom.window;
globalThis.document = dom.window.document;
for (const k of ["Element", "HTMLElement", "SVGElement", "DOMParser", "XMLSerializer", "Node"]) {
  if (!(k in globalThis) && dom.window[k]) globalThis[k] = dom.window[k];
}
const { default: mermaid } = await import("mermaid");
// The limits mermaid applies by default when rendering; we check against them.
mermaid.initialize({ startOnLoad: false, maxTextSize: 50000, maxEdges: 500, securityLevel: "strict" });

let failed = 0;
for (const file of process.argv.slice(2)) {
  const text = readFileSync(file, "utf8");
  let error = null;
  try {
    if (text.length > 50000) throw new Error(`text size ${text.length} exceeds maxTextSize 50000`);
    const edges = (text.match(/-->|-\.->|==>|-\.-|---/g) || []).length;
    if (edges > 500) throw new Error(`${edges} edges exceed maxEdges 500`);
    const parsed = await mermaid.parse(text);
    // infragraph writes no directives and no front matter: configuration found in a diagram came
    // from a name smuggling "%%{init: ...}%%" (or "---" front matter) through a label.
    if (parsed && parsed.config && Object.keys(parsed.config).length > 0) {
      throw new Error(`diagram carries configuration ${JSON.stringify(parsed.config).slice(0, 200)}`);
    }
  } catch (e) {
    error = String(e && e.message ? e.message : e).split("\n").slice(0, 6).join(" ");
    failed++;
  }
  console.log(JSON.stringify({ file, ok: error === null, error }));
}
process.exit(failed ? 1 : 0);

#!/bin/sh
# bench.svg_python: `switchyard bench` on the demo decoder writes an SVG that Python's XML
# parser accepts (with bars inside the drawing) and JSON files that Python's json accepts.
# usage: svg_python.sh PYTHON3 SWITCHYARD SY_GENPROG WORKDIR
set -eu
py=$1 cli=$2 gen=$3 work=$4
rm -rf "$work" && mkdir -p "$work"
"$gen" "$work" decoder_tiny >/dev/null
"$cli" bench "$work/decoder_tiny.syp" --backends portable --backends nosuch,portable --warmup 0 --iters 2 \
  --prompt-len 4 --decode 2 --svg "$work/chart.svg" --json "$work/out.json" --trace "$work/trace.json" --quiet \
  >"$work/log.txt"
"$py" - "$work" <<'PYEOF'
import json, sys, xml.dom.minidom
work = sys.argv[1]
doc = xml.dom.minidom.parse(work + "/chart.svg")
svg = doc.documentElement
assert svg.tagName == "svg", svg.tagName
assert svg.getAttribute("xmlns") == "http://www.w3.org/2000/svg"
width, height = float(svg.getAttribute("width")), float(svg.getAttribute("height"))
rects = svg.getElementsByTagName("rect")
bars = [r for r in rects if r.getElementsByTagName("title")]
assert len(bars) >= 2, len(bars)  # prefill and decode: the partition (and runtime) segments
for r in rects:
    x, y, w, h = (float(r.getAttribute(k)) for k in ("x", "y", "width", "height"))
    assert w >= 0 and h >= 0 and x + w <= width + 0.5 and y + h <= height + 0.5, (x, y, w, h, width, height)
texts = " ".join(t.firstChild.data for t in svg.getElementsByTagName("text") if t.firstChild)
assert "unavailable" in texts and "nosuch" in texts, texts
out = json.load(open(work + "/out.json"))
assert [c["status"] for c in out["configurations"]] == ["ok", "unavailable"]
assert out["configurations"][0]["llm"]["decode_tokens_per_s"] > 0
trace = json.load(open(work + "/trace.json"))
assert any(e["ph"] == "X" and e.get("cat") == "op" for e in trace["traceEvents"])
print("ok: svg %d rects, json, trace" % len(rects))
PYEOF
rm -rf "$work"

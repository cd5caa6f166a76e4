// The dashboard's stylesheet (inline in the page; its hash is in the Content-Security-Policy). Light by default,
// dark when the system asks for it.
export const DASHBOARD_CSS = `
:root{--bg:#f6f8fa;--card:#fff;--line:#d8dee4;--text:#1f2328;--muted:#656d76;--ok:#1a7f37;--err:#cf222e;--warn:#9a6700;
--blue:#0969da;--violet:#8250df;--orange:#bc4c00;--track:#eaeef2;--grid:#eaeef2}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--card:#161b22;--line:#30363d;--text:#e6edf3;--muted:#8d96a0;--ok:#3fb950;
--err:#f85149;--warn:#d29922;--blue:#4493f8;--violet:#ab7df8;--orange:#f0883e;--track:#21262d;--grid:#21262d}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--text);font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif}
header{display:flex;align-items:center;justify-content:space-between;gap:16px;padding:12px 24px;background:var(--card);border-bottom:1px solid var(--line)}
.brand{font-size:18px;font-weight:600;letter-spacing:.2px}.brand .muted{font-weight:400}
.muted{color:var(--muted)}
.status{display:flex;align-items:center;gap:8px;color:var(--muted);font-size:13px}
#config:not(:empty)::before{content:'\\00b7';padding-right:8px}
.dot{width:9px;height:9px;border-radius:50%;background:var(--muted)}
.status.live .dot{background:var(--ok)}.status.down .dot{background:var(--err)}.status.down{color:var(--err)}
main{max-width:1400px;margin:0 auto;padding:16px 24px 24px;display:flex;flex-direction:column;gap:16px}
.tiles{display:grid;grid-template-columns:repeat(auto-fit,minmax(120px,1fr));gap:12px}
.tile,.card{background:var(--card);border:1px solid var(--line);border-radius:8px}
.tile{padding:10px 12px;min-width:0}
.tile .k{font-size:12px;color:var(--muted);text-transform:uppercase;letter-spacing:.4px}
.tile .v{font-size:24px;font-weight:600;font-variant-numeric:tabular-nums;margin-top:2px;white-space:nowrap}
.tile .sub{font-size:12px;color:var(--muted);white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.tile.bad .v{color:var(--err)}.tile.good .v{color:var(--ok)}
.grid3{display:grid;grid-template-columns:repeat(auto-fit,minmax(340px,1fr));gap:16px}
.grid2{display:grid;grid-template-columns:repeat(auto-fit,minmax(480px,1fr));gap:16px}
.card{padding:12px 14px;min-width:0}
.card-h{display:flex;align-items:baseline;justify-content:space-between;gap:8px;margin-bottom:6px}
h2{font-size:13px;font-weight:600;margin:0 0 8px;text-transform:uppercase;letter-spacing:.4px;color:var(--muted)}
.card-h h2{margin:0}
.legend{display:flex;gap:12px;font-size:12px;color:var(--muted)}
.legend i{display:inline-block;width:10px;height:3px;border-radius:2px;margin-right:4px;vertical-align:middle}
svg.chart{width:100%;height:auto;display:block}
svg.chart text{fill:var(--muted);font-size:10px;font-family:inherit}
svg.chart .grid{stroke:var(--grid);stroke-width:1}
svg.chart .axis{stroke:var(--line);stroke-width:1}
svg.chart path{fill:none;stroke-width:1.8;stroke-linejoin:round;stroke-linecap:round}
.c-blue{stroke:var(--blue);fill:var(--blue);background:var(--blue)}.c-violet{stroke:var(--violet);fill:var(--violet);background:var(--violet)}
.c-orange{stroke:var(--orange);fill:var(--orange);background:var(--orange)}.c-red{stroke:var(--err);fill:var(--err);background:var(--err)}
svg.chart path.c-blue,svg.chart path.c-violet,svg.chart path.c-orange,svg.chart path.c-red{fill:none}
table{width:100%;border-collapse:collapse;font-variant-numeric:tabular-nums}
th{font-size:11px;font-weight:600;color:var(--muted);text-align:left;text-transform:uppercase;letter-spacing:.3px;padding:4px 6px;border-bottom:1px solid var(--line)}
td{padding:5px 6px;border-bottom:1px solid var(--grid);vertical-align:middle}
tr:last-child td{border-bottom:none}
td.n,th.n{text-align:right;white-space:nowrap}
td.model{max-width:0;width:100%;overflow:hidden;text-overflow:ellipsis;white-space:nowrap;font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:12px}
td.model.wrap{white-space:normal;overflow-wrap:anywhere}
td.key{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:12px;white-space:nowrap}
td.empty{color:var(--muted);text-align:center;padding:14px 6px}
.pill{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600;border:1px solid currentColor;white-space:nowrap}
.pill.open,.pill.stopped,.pill.stale{color:var(--err)}.pill.half_open{color:var(--warn)}.pill.closed,.pill.done{color:var(--ok)}.pill.running{color:var(--blue)}
.bar{position:relative;height:8px;border-radius:4px;background:var(--track);min-width:60px;overflow:hidden}
.bar>span{position:absolute;left:0;top:0;bottom:0;border-radius:4px;background:var(--blue)}
.bar.err>span{background:var(--err)}.bar.ok>span{background:var(--ok)}
.barcell{display:flex;align-items:center;gap:8px}.barcell .bar{flex:1}.barcell .lbl{white-space:nowrap;font-size:12px;color:var(--muted)}
.barcell.stack{flex-direction:column;align-items:stretch;gap:3px}.barcell.stack .bar{flex:none}
.why{font-size:12px;color:var(--muted)}
.arrow{color:var(--muted);padding:0 4px}
footer{color:var(--muted);font-size:12px;text-align:center;padding:4px 0 8px}
footer a{color:var(--blue)}
.notice{background:var(--card);border:1px solid var(--err);color:var(--err);border-radius:8px;padding:10px 14px}
.notice[hidden]{display:none}
`;

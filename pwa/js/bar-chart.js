// Bar charts drawn in HTML and CSS, each with its figures as a table for screen readers and keyboards.
//
// Why not a charting library: the ones on npm draw on a canvas (or an SVG with fixed pixel
// text), whose labels do not grow with the reader's text size and which screen readers cannot
// read; these charts are plain bars, so HTML text that reflows at 320 px and 200% text does it
// all, with nothing more to download and precache.
import { h, newId } from "./dom.js";
import { labelAttribute, t } from "./i18n.js";

/**
 * A chart that can be redrawn with new rows without losing the reader's place.
 * kind: "columns" (a time series, one column per row) or "bars" (one labelled bar per row).
 * caption, columnHeader, valueHeader: catalog keys. Each row: { label, value, hidden }, where
 * `hidden` says why a figure is withheld (drawn striped): "small_group" (fewer than 5 people)
 * or "complement" (it would reveal a smaller group by subtraction).
 */
export function barChart({ caption, kind, columnHeader, valueHeader }) {
  const captionId = newId("chart");
  const plot = h("div", { class: `chart chart-${kind}` });
  const tableCaption = h("caption", { t: caption });
  const body = h("tbody", {});
  const table = h(
    "div",
    { class: "table-scroll", role: "region", tabindex: "0", "aria-labelledby": captionId },
    h(
      "table",
      {},
      tableCaption,
      h(
        "thead",
        {},
        h("tr", {}, h("th", { scope: "col", t: columnHeader }), h("th", { scope: "col", t: valueHeader })),
      ),
      body,
    ),
  );
  tableCaption.id = captionId;
  const details = h("details", { class: "chart-table" }, h("summary", { t: "dashboard.show_table" }), table);
  const figure = h("figure", { class: "chart-figure" }, h("figcaption", { t: caption }), plot, details);

  function valueText(row, format) {
    if (!row.hidden) return format(row.value);
    return row.hidden === "complement" ? t("dashboard.withheld") : t("dashboard.fewer_than", { count: 5 });
  }

  function draw(rows, format) {
    const visible = rows.filter((row) => !row.hidden).map((row) => row.value);
    const top = Math.max(1, ...visible);
    if (kind === "columns") {
      // One picture for assistive technology (its summary); the table holds every figure.
      const peak = rows.reduce((best, row) => (!row.hidden && row.value > (best?.value ?? -1) ? row : best), null);
      plot.setAttribute("role", "img");
      if (peak) labelAttribute(plot, "aria-label", "dashboard.chart_peak", { label: peak.label, value: format(peak.value) });
      else labelAttribute(plot, "aria-label", "dashboard.chart_hidden");
      const columns = rows.map((row) => {
        const bar = h("span", { class: row.hidden ? "column hidden-figure" : "column" });
        bar.style.height = row.hidden ? "100%" : `${(row.value / top) * 100}%`;
        return bar;
      });
      const ends = rows.length > 1 ? [rows[0], rows[rows.length - 1]] : rows;
      const axis = h(
        "div",
        { class: "chart-axis", "aria-hidden": "true" },
        ends.map((row) => h("span", { text: row.label })),
      );
      plot.replaceChildren(h("div", { class: "columns" }, columns), axis);
    } else {
      plot.replaceChildren(
        h(
          "ul",
          { class: "bars" },
          rows.map((row) => {
            const bar = h("span", { class: row.hidden ? "bar hidden-figure" : "bar" });
            bar.style.width = row.hidden ? "100%" : `${(row.value / top) * 100}%`;
            return h(
              "li",
              {},
              h(
                "span",
                { class: "bar-label" },
                h("span", { text: row.label }),
                h("strong", { class: "bar-value", text: valueText(row, format) }),
              ),
              h("span", { class: "bar-track", "aria-hidden": "true" }, bar),
            );
          }),
        ),
      );
    }
    body.replaceChildren(
      ...rows.map((row) =>
        h(
          "tr",
          { class: row.hidden ? "hidden-figure-row" : null },
          h("th", { scope: "row", text: row.label }),
          h("td", { text: valueText(row, format) }),
        ),
      ),
    );
  }

  return { el: figure, draw };
}

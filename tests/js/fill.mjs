// Fill a PDF form as another program would, for the foreign-filler tests.
//
//   node fill.mjs pdfjs|pdflib|pdflib-flatten IN.pdf VALUES.json OUT.pdf
//
// VALUES maps full field names to a string (text, dropdown, radio option) or a boolean
// (tick box). pdfjs: the values go into the annotation storage and the document is saved as
// Firefox saves a filled form; pdflib: pdf-lib's form API, then save (it redraws appearances);
// pdflib-flatten: the same, then pdf-lib's form.flatten() (the fields drawn into the pages).
import { readFileSync, writeFileSync } from "node:fs";

const [tool, input, valuesFile, output] = process.argv.slice(2);
const data = new Uint8Array(readFileSync(input));
const values = JSON.parse(readFileSync(valuesFile, "utf8"));

async function withPdfjs() {
  const pdfjs = await import("pdfjs-dist/legacy/build/pdf.mjs");
  const fonts = new URL("./node_modules/pdfjs-dist/standard_fonts/", import.meta.url).pathname;
  const doc = await pdfjs.getDocument({ data, standardFontDataUrl: fonts, useSystemFonts: false }).promise;
  const fields = await doc.getFieldObjects();
  for (const [name, value] of Object.entries(values)) {
    for (const field of fields[name] ?? []) {
      if (!field.type) continue; // the radio group itself: its buttons carry the value
      if (field.type === "checkbox") {
        doc.annotationStorage.setValue(field.id, { value: value === true });
      } else if (field.type === "radiobutton") {
        doc.annotationStorage.setValue(field.id, { value: field.exportValues === value });
      } else {
        doc.annotationStorage.setValue(field.id, { value });
      }
    }
    if (!fields[name]) throw new Error(`pdf.js: no field ${name}`);
  }
  return doc.saveDocument();
}

async function withPdfLib(flatten) {
  const { PDFDocument, PDFCheckBox, PDFRadioGroup, PDFDropdown, PDFTextField } = await import("pdf-lib");
  const doc = await PDFDocument.load(data);
  const form = doc.getForm();
  for (const [name, value] of Object.entries(values)) {
    const field = form.getField(name);
    if (field instanceof PDFCheckBox) value ? field.check() : field.uncheck();
    else if (field instanceof PDFRadioGroup && value === null) field.clear();
    else if (field instanceof PDFRadioGroup) field.select(value);
    else if (field instanceof PDFDropdown) field.select(value);
    else if (field instanceof PDFTextField) field.setText(value);
    else throw new Error(`pdf-lib: cannot fill ${name}`);
  }
  if (flatten) form.flatten();
  return doc.save();
}

const filled =
  tool === "pdfjs" ? await withPdfjs()
  : tool === "pdflib" ? await withPdfLib(false)
  : tool === "pdflib-flatten" ? await withPdfLib(true)
  : null;
if (filled === null) throw new Error(`unknown tool ${tool}`);
writeFileSync(output, filled);

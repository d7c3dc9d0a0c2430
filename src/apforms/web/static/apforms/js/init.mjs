// GOV.UK Frontend's components (error summary focus, character counts, conditional reveals).
import { initAll } from "../../govuk/govuk-frontend.min.js";
document.body.classList.add("js-enabled", "govuk-frontend-supported");
initAll();

// The style sheet and the script of report.html (inlined into the page: it loads nothing).
#pragma once

namespace rig::report {

const char* html_css();
// Filters the scenario table and draws each scenario's detail (attempts, expected vs actual,
// timeline lanes, steps, entries) from its JSON block. Sets body[data-ready="1"] once the page
// is drawn, and body[data-errors] with any script error (the page test reads both).
const char* html_script();

}  // namespace rig::report

// Every /app page: tells the stylesheet that scripts run, so that what only works without
// them (the "Show" and "Use my caption" buttons that htmx and app-share.js make needless)
// steps aside, and what needs them may appear.
document.documentElement.classList.add("js");

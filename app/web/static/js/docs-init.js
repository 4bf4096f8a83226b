// Starts Swagger UI on /docs. Kept out of the page so that the page needs no inline script
// (its Content-Security-Policy has no 'unsafe-inline'); the page says where the OpenAPI
// document is in data-openapi-url.
(function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  window.ui = window.SwaggerUIBundle({
    url: root.getAttribute("data-openapi-url"),
    dom_id: "#swagger-ui",
    layout: "BaseLayout",
    deepLinking: true,
    showExtensions: true,
    showCommonExtensions: true,
    // The default validator badge is an image from validator.swagger.io: no third party.
    validatorUrl: null,
    presets: [window.SwaggerUIBundle.presets.apis],
  });
})();

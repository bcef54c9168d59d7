// A self-hosted return portal over Sendcloud's Return portal API, in plain JavaScript.
//
// Parameters (query string): api (base URL of the Return portal API, default: the fake on
// this page's origin when it serves the page, else http://127.0.0.1:8080), points (base URL
// of the service points API, default: api; https://servicepoints.sendcloud.sc in production),
// brand (the brand's domain), lang (en-GB, nl-NL, de-DE, fr-FR ...), poll (ms between polls).
// Nothing is fetched from anywhere but those two APIs.
"use strict";

(function () {
  const params = new URLSearchParams(window.location.search);
  const servedByFake = window.location.pathname.startsWith("/__admin/examples/");
  const API = (params.get("api") || (servedByFake ? window.location.origin : "http://127.0.0.1:8080")).replace(/\/+$/, "");
  const POINTS = (params.get("points") || API).replace(/\/+$/, "");
  const BRAND = params.get("brand") || "stroopwafel-co";
  const LANG = params.get("lang") || "en-GB";
  const POLL_MS = Number(params.get("poll")) || 1500;
  const PORTAL = `${API}/api/v2/brand/${encodeURIComponent(BRAND)}/return-portal`;
  const DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];  // "0" is Monday
  const DELIVERY_LABELS = {
    drop_off_point: "Drop off at a service point (printed label)",
    drop_off_labelless: "Drop off at a service point without a label (QR code)",
    in_store: "Bring it back to one of our stores",
    pickup: "Have it picked up",
  };

  const $ = (id) => document.getElementById(id);
  const state = { settings: null, found: null, points: [], paymentUrl: null };

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "dataset") Object.assign(node.dataset, value);
      else if (key in node && typeof value !== "string") node[key] = value;
      else node.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    return node;
  }

  function show(text, kind) {
    const box = $("message");
    box.textContent = text || "";
    box.className = kind || "error";
    box.hidden = !text;
  }

  // Sendcloud's portal errors: {"error": {"code", "message", "request", ...}} or a list of them.
  function errorText(status, body) {
    const error = body && (body.error || (body.errors && body.errors[0]));
    if (!error) return `The request failed (HTTP ${status}).`;
    const where = error.field || (error.source && (error.source.pointer || error.source.parameter)) || "";
    const message = error.message || error.detail || error.code || `HTTP ${status}`;
    return where ? `${message} (${where})` : message;
  }

  async function call(url, options) {
    let response;
    try {
      response = await fetch(url, { mode: "cors", credentials: "omit", ...options });
    } catch (failure) {
      throw new Error(`Could not reach ${new URL(url).origin}: ${failure.message}`);
    }
    const type = response.headers.get("Content-Type") || "";
    const body = type.includes("json") ? await response.json() : null;
    if (!response.ok && response.status !== 202) throw new Error(errorText(response.status, body));
    return { status: response.status, body, response };
  }

  // -- settings ------------------------------------------------------------------------

  async function loadSettings() {
    const { body } = await call(`${PORTAL}?language=${encodeURIComponent(LANG)}`);
    const portal = body.portal || body;
    state.settings = portal;
    const brand = portal.brand || {};
    document.title = `${brand.name || BRAND}: returns`;
    $("brand-name").textContent = `${brand.name || BRAND} returns`;
    if (brand.color) document.documentElement.style.setProperty("--brand", brand.color);
    link($("brand-website"), brand.website, brand.website);
    const logo = (brand.screen_logo && brand.screen_logo.url) || (typeof brand.screen_thumb === "string" && brand.screen_thumb);
    if (logo) { $("brand-logo").src = logo; $("brand-logo").alt = brand.name || ""; $("brand-logo").hidden = false; }
    if (portal.layout && portal.layout.helper_text) {
      $("helper-text").textContent = portal.layout.helper_text;
      $("helper-text").hidden = false;
    }
    link($("support-link"), portal.support_url);
    link($("policy-link"), portal.return_policy_url);
    document.body.dataset.ready = "settings";
  }

  function link(node, href, text) {
    if (!href) return;
    node.href = href;
    if (text) node.textContent = text.replace(/^https?:\/\//, "");
    node.hidden = false;
  }

  // -- lookup --------------------------------------------------------------------------

  async function lookup(event) {
    event.preventDefault();
    show("");
    const query = new URLSearchParams({ postal_code: $("postal-code").value.trim(), identifier: $("identifier").value.trim() });
    $("lookup-button").disabled = true;
    try {
      const { body } = await call(`${PORTAL}/outgoing?${query}`);
      state.found = body.data || body;
      state.found.access_token = body.access_token || state.found.access_token;
      state.found.service_points_token = body.service_points_token || state.found.service_points_token;
      renderReturnForm();
      await loadServicePoints();
    } catch (failure) {
      show(failure.message);
    } finally {
      $("lookup-button").disabled = false;
    }
  }

  function renderReturnForm() {
    const { parcel, products } = state.found;
    const settings = state.settings;
    $("parcel-summary").textContent =
      `Order ${parcel.order_number || "-"}, parcel ${parcel.tracking_number}, sent to ${parcel.name}, ${parcel.city}.`;

    $("products").replaceChildren(...products.map((product, index) => el("div", { class: "product" },
      el("label", {},
        el("input", { type: "checkbox", class: "product-check", checked: index === 0 || products.length === 1,
                      dataset: { index: String(index) } }),
        ` ${product.name} `, el("span", { class: "price" }, `${product.currency} ${product.price}`)),
      el("label", { class: "quantity" }, "Quantity ",
        el("input", { type: "number", class: "product-quantity", min: "1", max: String(product.quantity),
                      value: "1", dataset: { index: String(index) } }),
        ` of ${product.quantity}`))));

    $("reason").replaceChildren(...settings.reasons.map((reason) =>
      el("option", { value: String(reason.id) }, reason.description)));

    $("refund-options").replaceChildren(...(settings.refund_options || []).map((option, index) =>
      el("label", { class: "choice" },
        el("input", { type: "radio", name: "refund", value: option.code, checked: index === 0,
                      dataset: { requireMessage: option.require_message ? "1" : "" } }),
        ` ${option.label || option.code}`)));
    $("refund-options").onchange = () => {
      const chosen = document.querySelector("input[name=refund]:checked");
      $("refund-message-label").hidden = !(chosen && chosen.dataset.requireMessage);
    };

    const options = (settings.delivery_options || []).filter((o) => o !== "drop_off_labelless" || state.found.labelless_service_point);
    $("delivery-options").replaceChildren(...options.map((option, index) =>
      el("label", { class: "choice" },
        el("input", { type: "radio", name: "delivery_option", value: option, checked: index === 0 }),
        ` ${DELIVERY_LABELS[option] || option}`)));
    $("delivery-options").onchange = () => {
      const option = deliveryOption();
      $("service-point-fieldset").hidden = !option.startsWith("drop_off");
      if (option === "drop_off_labelless") $("service-point-hint").textContent = "Points that accept labelless returns.";
    };

    const to = parcel;
    $("from-name").value = to.name || "";
    $("from-email").value = to.email || "";
    $("from-street").value = (to.address_divided && to.address_divided.street) || to.address || "";
    $("from-house-number").value = to.house_number || "";
    $("from-postal-code").value = to.postal_code || "";
    $("from-city").value = to.city || "";
    $("from-country").value = (to.country && to.country.iso_2) || "";

    $("lookup").hidden = true;
    $("return-form").hidden = false;
  }

  function deliveryOption() {
    const chosen = document.querySelector("input[name=delivery_option]:checked");
    return chosen ? chosen.value : "drop_off_point";
  }

  // -- service points ------------------------------------------------------------------

  async function loadServicePoints() {
    const { parcel, carriers, service_point: nearest, service_points_token: token } = state.found;
    const where = parcel.to_coordinates || (nearest && { latitude: nearest.latitude, longitude: nearest.longitude });
    let points = nearest ? [nearest] : [];
    if (where && token) {
      const query = new URLSearchParams({
        access_token: token, country: parcel.country.iso_2, latitude: String(where.latitude),
        longitude: String(where.longitude), radius: "5000",
      });
      const codes = (carriers || []).map((c) => c.code || c).filter(Boolean);
      if (codes.length) query.set("carrier", codes.join(","));
      try {
        const { body } = await call(`${POINTS}/api/v2/service-points/?${query}`);
        if (Array.isArray(body) && body.length) points = body;
      } catch (failure) {
        show(`Only the nearest drop-off point is shown: ${failure.message}`, "warning");
      }
    }
    points = points.slice().sort((a, b) => (a.distance ?? Infinity) - (b.distance ?? Infinity)).slice(0, 10);
    state.points = points;
    const preferred = nearest ? nearest.id : points[0] && points[0].id;
    $("service-points").replaceChildren(...points.map((point) => el("li", { class: "point" },
      el("label", {},
        el("input", { type: "radio", name: "service_point", value: String(point.id), checked: point.id === preferred }),
        el("strong", {}, ` ${point.name}`), ` (${point.carrier}) `,
        el("span", { class: "distance" }, point.distance != null ? formatDistance(point.distance) : ""),
        el("br"), `${point.street} ${point.house_number}, ${point.postal_code} ${point.city}`),
      openingTimes(point.formatted_opening_times || {}))));
    document.body.dataset.ready = "points";
  }

  function formatDistance(metres) {
    return metres < 1000 ? `${Math.round(metres)} m` : `${(metres / 1000).toFixed(1)} km`;
  }

  function openingTimes(times) {
    return el("dl", { class: "hours" }, ...DAYS.flatMap((day, index) => [
      el("dt", {}, day), el("dd", {}, (times[String(index)] || []).join(", ") || "closed")]));
  }

  // -- create, poll, download ------------------------------------------------------------

  function returnBody() {
    const { parcel, products } = state.found;
    const reason = Number($("reason").value);
    const chosen = [...document.querySelectorAll(".product-check")].filter((box) => box.checked).map((box) => {
      const product = products[Number(box.dataset.index)];
      const quantity = Number(document.querySelector(`.product-quantity[data-index="${box.dataset.index}"]`).value) || 1;
      return { product_id: String(product.id), quantity, description: product.name, value: Number(product.price),
               return_reason: reason };
    });
    if (!chosen.length) throw new Error("Choose at least one product to return.");
    const option = deliveryOption();
    const refund = document.querySelector("input[name=refund]:checked");
    const point = document.querySelector("input[name=service_point]:checked");
    const body = {
      reason,
      message: $("reason-message").value || null,
      outgoing_parcel: parcel.id,
      products: chosen,
      delivery_option: option,
      incoming_parcel: {
        collo_count: 1,
        from_name: $("from-name").value, from_email: $("from-email").value || null,
        from_address_1: $("from-street").value, from_house_number: $("from-house-number").value || null,
        from_postal_code: $("from-postal-code").value, from_city: $("from-city").value,
        from_country: $("from-country").value.toUpperCase(),
      },
    };
    if (refund) body.refund = { refund_type: { code: refund.value }, message: $("refund-message").value || null };
    if (option.startsWith("drop_off") && point) body.service_point = { id: Number(point.value) };
    return body;
  }

  async function createReturn(event) {
    event.preventDefault();
    show("");
    $("create-button").disabled = true;
    try {
      const { body } = await call(`${PORTAL}/incoming`, {
        method: "POST",
        headers: { "Content-Type": "application/json", Authorization: `Bearer ${state.found.access_token}` },
        body: JSON.stringify(returnBody()),
      });
      $("return-form").hidden = true;
      $("label").hidden = false;
      $("return-id").textContent = String(body.return);
      document.body.dataset.returnId = String(body.return);
      state.paymentUrl = body.payment_url || null;
      setStatus("announcing", "Creating your label...");
      poll(body.poller_url);
    } catch (failure) {
      show(failure.message);
      $("create-button").disabled = false;
    }
  }

  function setStatus(code, text) {
    $("status").dataset.state = code;
    $("status").textContent = text;
  }

  async function poll(url) {
    try {
      const { status, body } = await call(url);
      if (status === 202) {
        if (body.status === "awaiting_payment") {
          setStatus("awaiting_payment", "Waiting for your payment.");
          const pay = body.payment_url || state.paymentUrl;
          if (pay) { $("payment-link").href = pay; $("payment").hidden = false; }
        } else {
          setStatus(body.status || "announcing", "Creating your label...");
        }
        window.setTimeout(() => poll(url), POLL_MS);
        return;
      }
      $("payment").hidden = true;
      await offerLabel(body);
    } catch (failure) {
      setStatus("failed", failure.message);
    }
  }

  async function offerLabel(ready) {
    setStatus("downloading", "Your label is ready, fetching it...");
    const response = await fetch(ready.download_url, { mode: "cors", credentials: "omit" });
    if (!response.ok) throw new Error(`The label could not be downloaded (HTTP ${response.status}).`);
    const pdf = await response.blob();
    const disposition = response.headers.get("Content-Disposition") || "";
    const name = (disposition.match(/filename="?([^";]+)"?/) || [])[1] || `return-label-${ready.return}.pdf`;
    const download = $("download");
    download.href = URL.createObjectURL(pdf);
    download.download = name;
    download.dataset.bytes = String(pdf.size);
    download.dataset.type = pdf.type;
    download.textContent = `Download ${name} (${Math.ceil(pdf.size / 1024)} kB)`;
    download.hidden = false;
    if (ready.tracking_numbers && ready.tracking_numbers.length) {
      $("tracking").textContent = `Tracking number: ${ready.tracking_numbers.join(", ")}`;
      $("tracking").hidden = false;
    }
    setStatus("ready", "Your label is ready.");
  }

  // -- start ---------------------------------------------------------------------------

  $("api-info").textContent = `API: ${API} · brand: ${BRAND} · ${LANG}`;
  $("lookup-form").addEventListener("submit", lookup);
  $("return-form").addEventListener("submit", createReturn);
  loadSettings().catch((failure) => show(`Could not load the portal settings: ${failure.message}`));
})();

/* The binding editor (admin): redraw the phone preview as the operator types, flag each
   param that breaks a rule next to its field, follow another template's params, send a
   test. Plain JS served from static files: no CDN, no build step, no inline script. */
"use strict";
(function () {
  const DEBOUNCE_MS = 300;

  function start() {
    const editor = document.getElementById("zns-editor");
    if (!editor) return;
    const form = editor.closest("form");
    const preview = document.getElementById("zns-preview");
    const status = document.getElementById("zns-preview-status");
    let timer = null;
    let latest = 0;

    function csrf() {
      const input = form.querySelector("input[name=csrfmiddlewaretoken]");
      return input ? input.value : "";
    }

    function formData(extra) {
      const data = new FormData(form);
      data.set("binding", editor.dataset.binding || "");
      Object.entries(extra || {}).forEach(([key, value]) => data.set(key, value));
      return data;
    }

    async function post(url, data) {
      const response = await fetch(url, {
        method: "POST", body: data, credentials: "same-origin",
        headers: {"X-CSRFToken": csrf(), "Accept": "application/json"},
      });
      let body = null;
      try { body = await response.json(); } catch (e) { body = null; }
      return {response, body};
    }

    function flagFor(input) {
      const name = input.dataset.param;
      let flag = form.querySelector(`.zns-flag[data-flag-for="${CSS.escape(name)}"]`);
      if (!flag) {
        flag = document.createElement("div");
        flag.className = "zns-flag";
        flag.dataset.flagFor = name;
        flag.setAttribute("aria-live", "polite");
        // Under the field, above its help text (where the admin aligns help).
        const help = document.getElementById(input.id + "_helptext");
        if (help) help.prepend(flag);
        else input.insertAdjacentElement("afterend", flag);
      }
      return flag;
    }

    function showConditionFlag(problem) {
      const input = form.querySelector("[name=condition]");
      if (!input) return;
      let flag = document.getElementById("zns-condition-flag");
      if (!flag) {
        flag = document.createElement("div");
        flag.id = "zns-condition-flag";
        flag.setAttribute("aria-live", "polite");
        input.insertAdjacentElement("afterend", flag);
      }
      flag.className = problem ? "zns-flag zns-flag-bad" : "zns-flag";
      flag.textContent = problem ? "⚠ " + problem : "";
      input.classList.toggle("zns-param-bad", Boolean(problem));
    }

    function showFlags(params) {
      form.querySelectorAll(".zns-param").forEach((input) => {
        const result = params[input.dataset.param];
        const flag = flagFor(input);
        // What saving says for every order it checks: refused (red; in the drawn order's
        // words when it is that order's problem), or allowed with a warning about some
        // orders (amber); the drawn order's own problem otherwise.
        let bad = result && (!result.warning && result.problem);
        if (result && result.refused) {
          const drawn = result.problem && result.refused.endsWith(": " + result.problem);
          bad = drawn ? result.problem : result.refused;
        }
        input.classList.toggle("zns-param-bad", Boolean(bad));
        if (!result) { flag.textContent = ""; flag.className = "zns-flag"; return; }
        if (bad) {
          flag.className = "zns-flag zns-flag-bad";
          flag.textContent = "⚠ " + bad;
        } else if (result.warning) {
          flag.className = "zns-flag zns-flag-warn";
          flag.textContent = "⚠ " + result.warning;
        } else {
          flag.className = "zns-flag zns-flag-ok";
          flag.textContent = "✓ " + result.length + (result.max ? " / " + result.max : "");
        }
      });
    }

    function showSmsFlag(result) {
      // Under the SMS text: its segments, encoding, characters left and cost, or why it
      // cannot be sent (too many segments, does not render).
      const input = form.querySelector("textarea[name=sms_text]");
      if (!input) return;
      let flag = document.getElementById("zns-sms-flag");
      if (!flag) {
        flag = document.createElement("div");
        flag.id = "zns-sms-flag";
        flag.setAttribute("aria-live", "polite");
        const help = document.getElementById(input.id + "_helptext");
        if (help) help.prepend(flag);
        else input.insertAdjacentElement("afterend", flag);
      }
      const problem = result && result.problem;
      input.classList.toggle("zns-param-bad", Boolean(problem));
      if (!result || !result.summary) { flag.className = "zns-flag"; flag.textContent = ""; return; }
      flag.className = problem ? "zns-flag zns-flag-bad" : "zns-flag zns-flag-ok";
      flag.textContent = (problem ? "⚠ " : "✓ ") + result.summary;
    }

    async function refresh() {
      const mine = ++latest;
      status.textContent = "";
      try {
        const {response, body} = await post(editor.dataset.previewUrl, formData());
        if (mine !== latest) return; // an older answer arriving late
        if (!body) throw new Error(String(response.status));
        if (body.html) preview.innerHTML = body.html;
        status.className = "zns-preview-status" + (body.ok ? "" : " zns-preview-bad");
        status.textContent = body.error || "";
        showFlags(body.params || {});
        showConditionFlag(body.condition_problem || "");
        showSmsFlag(body.sms);
      } catch (e) {
        if (mine === latest) {
          status.className = "zns-preview-status zns-preview-bad";
          status.textContent = editor.dataset.error;
        }
      }
    }

    function later() {
      clearTimeout(timer);
      timer = setTimeout(refresh, DEBOUNCE_MS);
    }

    async function followTemplate(select) {
      const typed = {};
      form.querySelectorAll(".zns-param").forEach((input) => {
        if (input.value.trim()) typed[input.dataset.param] = input.value;
      });
      const url = editor.dataset.fieldsUrl + "?template=" + encodeURIComponent(select.value);
      const response = await fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}});
      if (!response.ok) return;
      const body = await response.json();
      document.getElementById("zns-params").innerHTML = body.html;
      // What was typed for a param of the same name is kept.
      form.querySelectorAll(".zns-param").forEach((input) => {
        if (typed[input.dataset.param] !== undefined) input.value = typed[input.dataset.param];
      });
      refresh();
    }

    form.addEventListener("input", (event) => {
      if (event.target.id === "zns-test-phone") return;
      if (event.target.classList.contains("zns-param") || event.target.name === "sms_text") {
        // The last save's error is about what was typed then: the preview's flag takes over.
        const line = event.target.closest(".form-row");
        const stale = line && line.querySelector(".errorlist");
        if (stale) stale.remove();
        if (line) line.classList.remove("errors");
        const note = document.querySelector(".errornote");
        if (note && !form.querySelector(".errorlist")) note.remove();
      }
      later();
    });
    form.addEventListener("change", (event) => {
      if (event.target.name === "template") followTemplate(event.target);
      else if (event.target.id !== "zns-test-phone") later();
    });

    const send = document.getElementById("zns-send-test");
    if (send) {
      const result = document.getElementById("zns-send-result");
      send.addEventListener("click", async () => {
        send.disabled = true;
        result.className = "zns-send-result";
        result.textContent = editor.dataset.sending;
        try {
          const {response, body} = await post(editor.dataset.sendUrl, formData());
          result.textContent = "";
          if (body && body.ok) {
            result.className = "zns-send-result zns-send-ok";
            result.append(body.message + " ");
            if (body.url) {
              const link = document.createElement("a");
              link.href = body.url;
              link.textContent = body.link;
              result.append(link);
            }
          } else {
            result.className = "zns-send-result zns-send-bad";
            result.textContent = (body && body.error) || ("HTTP " + response.status);
          }
        } catch (e) {
          result.className = "zns-send-result zns-send-bad";
          result.textContent = editor.dataset.error;
        } finally {
          send.disabled = false;
        }
      });
    }
    refresh();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();

/* The article's change form (templates/admin/articles/article/change_form.html).
 *
 * Nothing typed is lost:
 * - leaving the form with unsaved edits asks first (saving it does not);
 * - while it has unsaved edits, the form is autosaved every few seconds, and once more when
 *   its tab is hidden (closed, left, the laptop shut): the server keeps it for its author
 *   (articles/autosave.py), and opening the form again offers it back.
 * "Unsaved edits" means the form would post something other than it did when the page was
 * ready: typing, the text editor, autocompletes, and blocks added, removed or moved alike.
 *
 * And every input the editors make has a name a screen reader can say: the text editor's
 * editable area and the autocompletes take their field's label.
 *
 * A static file, as the Content-Security-Policy allows no inline script; its settings are
 * data- attributes on .article-form.
 */
;(() => {
  const state = {
    form: null,
    settings: null,
    ready: null, // the form as it was when the page was ready
    autosaved: null, // the form as it was last autosaved
    unsavedOnLoad: false, // restored edits, or a form sent back with errors
    leaving: false, // a form on the page was submitted: no prompt, no autosave after it
  }

  function formState() {
    const pairs = []
    for (const [name, value] of new FormData(state.form)) {
      if (name !== "csrfmiddlewaretoken" && typeof value === "string") pairs.push([name, value])
    }
    return new URLSearchParams(pairs).toString()
  }

  function hasUnsavedEdits() {
    if (!state.form || state.ready === null) return false
    return state.unsavedOnLoad || formState() !== state.ready
  }

  function say(text) {
    const status = document.querySelector(".article-form__autosave")
    if (status) status.textContent = text
  }

  function autosave({ leaving = false } = {}) {
    const url = state.settings && state.settings.autosaveUrl
    if (!url || state.leaving || !hasUnsavedEdits()) return
    const current = formState()
    if (current === state.autosaved) return
    const body = new FormData(state.form)
    // A hidden page may be gone in a moment: a beacon outlives it (up to 64 kB in Chromium).
    if (leaving && navigator.sendBeacon && navigator.sendBeacon(url, body)) {
      state.autosaved = current
      return
    }
    fetch(url, { method: "POST", body, credentials: "same-origin" })
      .then((response) => {
        if (response.ok) return response.json()
        return response.text().then((text) => {
          throw new Error(text || response.statusText)
        })
      })
      .then((answer) => {
        state.autosaved = current
        say(`Unsaved edits kept (${answer.saved_at}): save to keep them in the article.`)
      })
      .catch((error) => {
        say(`Your edits could not be autosaved (${error.message}): save the article soon.`)
      })
  }

  /* Names for the editors' own inputs. */

  function labelId(label, fallback) {
    if (!label.id) label.id = fallback
    return label.id
  }

  function columnHeading(element) {
    // A tabular inline's input is named by its column's heading.
    const cell = element.closest("td")
    const table = cell && cell.closest("table")
    const heading = table && table.tHead && table.tHead.rows[0].cells[cell.cellIndex]
    return heading ? heading.textContent.trim() : ""
  }

  function nameTextEditors() {
    for (const editable of document.querySelectorAll(".prose-editor [contenteditable]")) {
      if (editable.hasAttribute("aria-labelledby") || editable.hasAttribute("aria-label")) continue
      const textarea = editable.closest(".prose-editor").querySelector("textarea")
      const label = textarea && textarea.id && document.querySelector(`label[for="${textarea.id}"]`)
      if (label) editable.setAttribute("aria-labelledby", labelId(label, `${textarea.id}_label`))
      else editable.setAttribute("aria-label", "Text")
      editable.setAttribute("aria-multiline", "true")
    }
  }

  function nameAutocompletes() {
    for (const select of document.querySelectorAll("select.admin-autocomplete")) {
      const widget = select.nextElementSibling
      if (!select.id || select.id.includes("__prefix__")) continue
      if (!widget || !widget.classList.contains("select2")) continue
      const label = document.querySelector(`label[for="${select.id}"]`)
      const name = label ? "" : columnHeading(select) || select.name
      const named = (element, also = "") => {
        if (label) {
          const ids = [labelId(label, `${select.id}_label`), also].filter(Boolean).join(" ")
          if (element.getAttribute("aria-labelledby") !== ids) {
            element.setAttribute("aria-labelledby", ids)
          }
        } else if (element.getAttribute("aria-label") !== name) {
          element.removeAttribute("aria-labelledby")
          element.setAttribute("aria-label", name)
        }
      }
      const selection = widget.querySelector(".select2-selection--single")
      if (selection) {
        const shown = selection.querySelector(".select2-selection__rendered")
        named(selection, shown && shown.id)
        if (shown) named(shown, shown.id) // select2 makes it a textbox of its own
      }
      for (const search of widget.querySelectorAll(".select2-search__field")) named(search)
      // The chosen items are a list, with select2's "remove all" button among them.
      const chosen = widget.querySelector(".select2-selection--multiple > ul")
      if (chosen && chosen.getAttribute("role") !== "list") chosen.setAttribute("role", "list")
    }
  }

  let naming = 0
  function nameInputsSoon() {
    if (naming) return
    naming = requestAnimationFrame(() => {
      naming = 0
      nameTextEditors()
      nameAutocompletes()
    })
  }

  /* The side column's sections are open on a wide screen, folded on a narrow one. */
  function openSideSections() {
    if (!window.matchMedia("(min-width: 1200px)").matches) return
    for (const details of document.querySelectorAll(".article-form__side details")) {
      details.open = true
    }
  }

  function start() {
    const element = document.querySelector(".article-form")
    state.form = element && element.closest("form")
    if (!state.form) return
    state.settings = {
      autosaveUrl: element.dataset.autosaveUrl,
      seconds: Number(element.dataset.autosaveSeconds) || 20,
    }
    state.unsavedOnLoad = element.dataset.unsaved === "true"
    openSideSections()
    nameInputsSoon()
    new MutationObserver(nameInputsSoon).observe(state.form, { childList: true, subtree: true })

    // Once every editor has set itself up (they run on DOM ready): this is the saved form.
    window.addEventListener("load", () => {
      setTimeout(() => {
        state.ready = formState()
        state.autosaved = state.unsavedOnLoad ? null : state.ready
        nameInputsSoon()
      }, 0)
    })

    document.addEventListener("submit", () => {
      state.leaving = true
    })
    window.addEventListener("beforeunload", (event) => {
      if (state.leaving || !hasUnsavedEdits()) return
      event.preventDefault()
      event.returnValue = "" // older browsers ask only when this is set
    })
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "hidden") autosave({ leaving: true })
    })
    window.addEventListener("pagehide", () => autosave({ leaving: true }))
    setInterval(autosave, state.settings.seconds * 1000)
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start)
  else start()
})()

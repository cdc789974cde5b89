/* The chosen picture's card under every picture autocomplete (media/widgets.py): when the
 * journalist picks another picture, or a new one from the "+" window, its card is fetched and
 * shown; no picture, no card. Autocompletes are select2, which says "change" through jQuery.
 * "Choose from the library" opens the chooser (media/chooser.py) in a window, which posts the
 * chosen picture back here: it becomes the field's option, chosen.
 * A static file, as the Content-Security-Policy allows no inline script.
 */
;(() => {

  function cardOf(select) {
    const wrapper = select.closest(".related-widget-wrapper") || select.parentElement
    return wrapper.querySelector(".picture-card")
  }

  async function show(select) {
    const card = cardOf(select)
    if (!card) return
    if (!select.value) {
      card.replaceChildren()
      return
    }
    const url = select.dataset.pictureCard.replace(/\/0\/card\/$/, `/${select.value}/card/`)
    const response = await fetch(url, { credentials: "same-origin" })
    card.innerHTML = response.ok ? await response.text() : ""
  }

  function openChooser(button) {
    const wrapper = button.closest(".related-widget-wrapper") || button.parentElement
    const select = wrapper.querySelector("select[data-picture-card]")
    const url = `${button.dataset.chooser}?field=${encodeURIComponent(select.id)}`
    window.open(url, `chooser_${select.id}`, "width=1000,height=760,resizable=yes,scrollbars=yes")
  }

  function chosen(event) {
    const message = event.data || {}
    if (event.origin !== location.origin || message.type !== "newsroom:picture-chosen") return
    const select = document.getElementById(message.field)
    if (!select || !select.matches("select[data-picture-card]")) return
    let option = Array.from(select.options).find((each) => each.value === message.id)
    if (!option) {
      option = new Option(message.label, message.id)
      select.append(option)
    }
    select.value = message.id
    const $ = window.django && window.django.jQuery
    if ($) $(select).trigger("change")  // select2 shows it; the card follows
    else select.dispatchEvent(new Event("change", { bubbles: true }))
    select.focus()
  }

  document.addEventListener("click", (event) => {
    const button = event.target.closest(".picture-chooser-open")
    if (button) openChooser(button)
  })
  window.addEventListener("message", chosen)

  // Bound once every script has run: the admin's jQuery may come after this file.
  document.addEventListener("DOMContentLoaded", () => {
    const $ = window.django && window.django.jQuery
    if ($) $(document).on("change", "select[data-picture-card]", (event) => show(event.target))
  })
})()

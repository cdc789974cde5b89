/* The chosen picture's card under every picture autocomplete (media/widgets.py): when the
 * journalist picks another picture, or a new one from the "+" window, its card is fetched and
 * shown; no picture, no card. Autocompletes are select2, which says "change" through jQuery.
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

  // Bound once every script has run: the admin's jQuery may come after this file.
  document.addEventListener("DOMContentLoaded", () => {
    const $ = window.django && window.django.jQuery
    if ($) $(document).on("change", "select[data-picture-card]", (event) => show(event.target))
  })
})()

/* Pictures dropped or pasted into the article's body (the change form's blocks) become image
 * blocks, after the questions every picture is asked: the picture chooser (media/chooser.py)
 * opens for the body, takes the files, uploads them with their progress and has them
 * described; each picture it sends back gets a new image block at the end of the body.
 * A static file, as the Content-Security-Policy allows no inline script.
 */
;(() => {
  const BODY = ".order-machine-wrapper" // content-editor's blocks

  function pictures(transfer) {
    return Array.from((transfer && transfer.files) || []).filter((file) => file.type.startsWith("image/"))
  }

  function imageBlockPrefix() {
    const editor = window.ContentEditor
    const plugin = editor && editor.plugins.find((each) => each.prefix.endsWith("imageblock_set"))
    return plugin && plugin.prefix
  }

  function openChooserWith(files) {
    const form = document.querySelector(".article-form")
    const url = form && form.dataset.pictureChooser
    if (!url || !imageBlockPrefix()) return false
    const chooser = window.open(`${url}?field=body`, "chooser_body", "width=1000,height=760,resizable=yes,scrollbars=yes")
    if (!chooser) {
      offerToOpen(files) // the browser blocked the window: a press opens it
      return true
    }
    window.addEventListener("message", function ready(event) {
      if (event.origin !== location.origin || event.source !== chooser) return
      if ((event.data || {}).type !== "newsroom:chooser-ready") return
      window.removeEventListener("message", ready)
      chooser.postMessage({ type: "newsroom:pictures-dropped", files }, location.origin)
    })
    return true
  }

  function offerToOpen(files) {
    const body = document.querySelector(BODY)
    const offer = document.createElement("p")
    offer.className = "body-pictures-offer"
    offer.setAttribute("role", "status")
    const button = document.createElement("button")
    button.type = "button"
    button.className = "button default"
    button.textContent = `Describe the ${files.length} dropped picture${files.length > 1 ? "s" : ""}`
    button.addEventListener("click", () => {
      offer.remove()
      openChooserWith(files)
    })
    offer.append(button)
    body.before(offer)
    button.focus()
  }

  function intoTheBody(event, transfer) {
    const files = pictures(transfer)
    if (!files.length || !event.target.closest || !event.target.closest(BODY)) return
    if (openChooserWith(files)) {
      event.preventDefault()
      event.stopPropagation() // not the text editor's: the picture joins the library first
    }
  }

  function addImageBlock(message) {
    const prefix = imageBlockPrefix()
    document.addEventListener(
      "formset:added",
      (event) => {
        const select = event.target.querySelector("select[data-picture-card]")
        if (!select) return
        // Chosen as from the field's own chooser (static/media/picture_card.js).
        window.postMessage({ ...message, field: select.id }, location.origin)
      },
      { once: true },
    )
    window.ContentEditor.addContent(prefix)
  }

  document.addEventListener("drop", (event) => intoTheBody(event, event.dataTransfer), true)
  document.addEventListener("paste", (event) => intoTheBody(event, event.clipboardData), true)
  window.addEventListener("message", (event) => {
    const message = event.data || {}
    if (event.origin !== location.origin || message.type !== "newsroom:picture-chosen") return
    if (message.field === "body") addImageBlock(message)
  })
})()

/* The picture chooser's window (media/chooser.py): send the chosen picture to the field that
 * opened it (static/media/picture_card.js listens), and upload dropped pictures one by one,
 * each with its progress, before they are described.
 *
 * Opened for the article's body (field "body", static/newsroom/body_pictures.js), it asks the
 * form for the pictures dropped or pasted there, uploads them the same way, and once they are
 * described sends them all back: each becomes an image block.
 * A static file: the CSP allows no inline script.
 */
;(() => {
  const MESSAGE = "newsroom:picture-chosen"

  function forTheBody(chooser) {
    return chooser.dataset.field === "body"
  }

  function choose(chooser, id, label, { close = true } = {}) {
    if (!window.opener) return
    window.opener.postMessage({ type: MESSAGE, field: chooser.dataset.field, id, label }, location.origin)
    if (close) window.close()
  }

  function upload(form, file, list, tokens, keep, slot = tokens.push(null) - 1) {
    const item = keep || document.createElement("li")
    item.replaceChildren()
    const name = document.createElement("span")
    name.textContent = file.name
    const progress = document.createElement("progress")
    progress.max = 100
    progress.value = 0
    progress.setAttribute("aria-label", `Uploading ${file.name}`)
    const said = document.createElement("span")
    said.textContent = "Uploading…"
    item.append(name, progress, said)
    if (!keep) list.append(item)

    return new Promise((resolve) => {
      const data = new FormData()
      data.append("file", file)
      if (keep) data.append("keep", "1")
      const request = new XMLHttpRequest()
      request.open("POST", form.dataset.upload)
      request.setRequestHeader("X-CSRFToken", form.elements.csrfmiddlewaretoken.value)
      request.upload.addEventListener("progress", (event) => {
        if (event.lengthComputable) progress.value = Math.round((100 * event.loaded) / event.total)
      })
      request.addEventListener("load", () => {
        let answer = {}
        try { answer = JSON.parse(request.responseText) } catch { answer = {} }
        progress.value = 100
        if (request.status === 200 && answer.token) {
          tokens[slot] = answer.token // in the order dropped, whichever finishes first
          said.textContent = "Uploaded: describe it in the next step."
        } else if (request.status === 409 && answer.duplicate) {
          offerTheLibrarysPicture(form, file, list, tokens, item, said, answer, slot)
        } else {
          said.className = "is-refused"
          said.textContent = answer.error || `Not uploaded (${request.status}): try again.`
        }
        resolve()
      })
      request.addEventListener("error", () => {
        said.className = "is-refused"
        said.textContent = "Not uploaded: the connection failed. Try again."
        resolve()
      })
      request.send(data)
    })
  }

  function offerTheLibrarysPicture(form, file, list, tokens, item, said, answer, slot) {
    said.textContent = `${answer.message} `
    const use = document.createElement("button")
    use.type = "button"
    use.className = "button default"
    use.textContent = "Use the existing picture"
    use.addEventListener("click", () => {
      const chooser = document.querySelector(".chooser")
      // For the body, the other dropped pictures are still to be described: stay open.
      const body = forTheBody(chooser)
      choose(chooser, String(answer.duplicate.id), answer.duplicate.label, { close: !body })
      if (body) said.textContent = "The library's picture is in the body."
    })
    const keep = document.createElement("button")
    keep.type = "button"
    keep.className = "button"
    keep.textContent = "Keep my copy"
    keep.addEventListener("click", async () => {
      await upload(form, file, list, tokens, item, slot)
      showDescribe(form, tokens)
    })
    said.append(use, " ", keep)
  }

  function showDescribe(form, tokens) {
    form.querySelectorAll("input[name=token]").forEach((input) => input.remove())
    for (const token of tokens.filter(Boolean)) {
      const input = document.createElement("input")
      input.type = "hidden"
      input.name = "token"
      input.value = token
      form.append(input)
    }
    form.querySelector(".chooser__upload-actions").hidden = !tokens.some(Boolean)
  }

  async function uploadAll(form, files) {
    const list = form.querySelector(".chooser__uploads")
    const tokens = Array.from(form.querySelectorAll("input[name=token]"), (input) => input.value)
    await Promise.all(Array.from(files, (file) => upload(form, file, list, tokens)))
    showDescribe(form, tokens)
  }

  document.addEventListener("DOMContentLoaded", () => {
    const chooser = document.querySelector(".chooser")
    if (!chooser) return
    if (chooser.dataset.chooseAtOnce) choose(chooser, chooser.dataset.chooseAtOnce, chooser.dataset.label)
    if (forTheBody(chooser) && chooser.dataset.added !== undefined) {
      // Every picture just described goes into the body, in the order dropped.
      for (const button of chooser.querySelectorAll("[data-choose]")) {
        choose(chooser, button.dataset.choose, button.dataset.label, { close: false })
      }
      window.close()
      return
    }
    chooser.addEventListener("click", (event) => {
      const button = event.target.closest("[data-choose]")
      if (button) choose(chooser, button.dataset.choose, button.dataset.label)
    })
    const form = chooser.querySelector("form[data-upload]")
    if (!form) return
    if (forTheBody(chooser) && window.opener) {
      window.addEventListener("message", (event) => {
        const message = event.data || {}
        if (event.origin !== location.origin || message.type !== "newsroom:pictures-dropped") return
        uploadAll(form, message.files)
      })
      window.opener.postMessage({ type: "newsroom:chooser-ready" }, location.origin)
    }
    const drop = form.querySelector("[data-drop]")
    form.elements.files.addEventListener("change", (event) => {
      uploadAll(form, event.target.files)
      event.target.value = ""
    })
    drop.addEventListener("dragover", (event) => {
      event.preventDefault()
      drop.classList.add("is-over")
    })
    drop.addEventListener("dragleave", () => drop.classList.remove("is-over"))
    drop.addEventListener("drop", (event) => {
      event.preventDefault()
      drop.classList.remove("is-over")
      uploadAll(form, event.dataTransfer.files)
    })
  })
})()

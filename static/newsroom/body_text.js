/* The body's text blocks on the article's change form:
 * - the word count and read time, as the journalist types: the words of the text blocks (the
 *   count the article is saved with, articles.services.count_words, and its read time,
 *   articles.models.read_minutes); the form comes with the saved count written in, so the
 *   shortcuts beside it stay where they are when this counts again;
 * - text pasted from Google Docs: the editor would take the bold wrapper Docs puts around
 *   everything on the clipboard (<b style="font-weight:normal" id="docs-internal-guid-…">)
 *   for bold, and make the whole paste bold, while Docs says bold and italic only in its spans'
 *   styles, which the editor ignores: the wrapper is taken off, and the spans' bold and italic
 *   become <strong> and <em>, before the editor reads the paste; and Word's lists, which
 *   Word on the desktop writes as paragraphs with their bullets as text, become lists. What
 *   the editor keeps of any paste is what its schema knows (headings, lists, links, emphasis,
 *   quotes);
 *   the server keeps the same (nh3);
 * - links to other articles chosen by headline: in the text editor's link window, words typed
 *   in the address are looked up among the live articles' headlines (articles/admin/links.py)
 *   and offered as the address's suggestions, headline shown.
 * A static file, as the Content-Security-Policy allows no inline script.
 */
;(() => {
  function textBlocks() {
    return Array.from(document.querySelectorAll(".inline-related[id*=textblock_set]")).filter(
      (row) => !row.id.includes("__prefix__") && !row.classList.contains("empty-form") && !(row.querySelector("input[name$=DELETE]") || {}).checked,
    )
  }

  function countWords() {
    let words = 0
    for (const row of textBlocks()) {
      const text = row.querySelector(".prose-editor [contenteditable=true]")
      if (text) words += text.innerText.split(/\s+/).filter(Boolean).length
    }
    return words
  }

  function show(counter) {
    const words = countWords()
    const perMinute = Number(counter.dataset.wordsPerMinute) || 230
    const minutes = Math.max(1, Math.round(words / perMinute))
    const text = `${words.toLocaleString("en")} word${words === 1 ? "" : "s"} · ${minutes} min read`
    // Written only when it changes: the counter is in the body this watches for changes, and
    // writing it each time would count again at every frame for as long as the form is open.
    if (counter.textContent !== text) counter.textContent = text
  }

  const CLEANED = Symbol("cleaned")

  function fromGoogleDocs(page) {
    const wrappers = page.querySelectorAll("b[id^=docs-internal-guid]")
    if (!wrappers.length) return false
    for (const wrapper of wrappers) wrapper.replaceWith(...wrapper.childNodes)
    for (const span of page.querySelectorAll("span[style]")) {
      // Read from the attribute: the site's CSP keeps inline styles out of `span.style`.
      const style = span.getAttribute("style")
      if (/font-weight:\s*(bold|[6-9]00)\b/.test(style)) span.replaceChildren(wrapped("strong", span))
      if (/font-style:\s*italic\b/.test(style)) span.replaceChildren(wrapped("em", span))
    }
    return true
  }

  // Word on the desktop writes a list as paragraphs (mso-list: l0 level1), each with its bullet
  // or number as text in a span styled mso-list:Ignore. A run of them becomes a list, numbered
  // when the markers are numbers or letters, nested by level, the markers dropped.
  function fromWordLists(page) {
    const groups = []
    for (const item of page.querySelectorAll("p[style*='mso-list']")) {
      const last = groups[groups.length - 1]
      if (last && last[last.length - 1].nextElementSibling === item) last.push(item)
      else groups.push([item])
    }
    for (const group of groups) {
      const anchor = page.createComment("list")
      group[0].before(anchor)
      const stack = []
      for (const item of group) {
        const level = Number((item.getAttribute("style").match(/level(\d+)/) || [])[1] || 1)
        const marker = item.querySelector("span[style*='mso-list:Ignore'], span[style*='mso-list: Ignore']")
        const numbered = Boolean(marker) && /^\(?[0-9a-zA-Z]{1,4}[.)]/.test(marker.textContent.trim())
        if (marker) marker.remove()
        while (stack.length && stack[stack.length - 1].level > level) stack.pop()
        if (!stack.length || stack[stack.length - 1].level < level) {
          const list = page.createElement(numbered ? "ol" : "ul")
          const holder = stack.length ? stack[stack.length - 1].list.lastElementChild : null
          if (holder) holder.append(list)
          else anchor.before(list)
          stack.push({ level, list })
        }
        const entry = page.createElement("li")
        entry.append(...item.childNodes)
        stack[stack.length - 1].list.append(entry)
        item.remove()
      }
      anchor.remove()
    }
    return groups.length > 0
  }

  // What a paste from Google Docs or Word needs before the editor reads it; the HTML as it came
  // when it needs nothing.
  function cleaned(html) {
    if (!html.includes("docs-internal-guid") && !html.includes("mso-list")) return html
    const page = new DOMParser().parseFromString(html, "text/html")
    const changed = [fromGoogleDocs(page), fromWordLists(page)].some(Boolean)
    return changed ? page.body.innerHTML : html
  }

  function wrapped(tag, element) {
    const wrapper = element.ownerDocument.createElement(tag)
    wrapper.append(...element.childNodes)
    return wrapper
  }

  document.addEventListener(
    "paste",
    (event) => {
      if (event[CLEANED] || !event.clipboardData || !event.target.closest) return
      if (!event.target.closest(".article-body .prose-editor")) return
      const html = event.clipboardData.getData("text/html")
      const fixed = html && cleaned(html)
      if (!fixed || fixed === html) return
      event.preventDefault()
      event.stopImmediatePropagation()
      const transfer = new DataTransfer()
      transfer.setData("text/html", fixed)
      transfer.setData("text/plain", event.clipboardData.getData("text/plain"))
      const again = new ClipboardEvent("paste", { clipboardData: transfer, bubbles: true, cancelable: true })
      again[CLEANED] = true
      event.target.dispatchEvent(again)
    },
    true,
  )

  function offerArticles(input, url) {
    const list = document.createElement("datalist")
    list.id = `${input.id || "link-href"}-articles`
    input.after(list)
    input.setAttribute("list", list.id)
    let asked = ""
    let timer = null
    input.addEventListener("input", () => {
      clearTimeout(timer)
      const words = input.value.trim()
      if (words.length < 3 || /^(https?:|mailto:|\/)/.test(words) || words === asked) return
      timer = setTimeout(async () => {
        asked = words
        const response = await fetch(`${url}?q=${encodeURIComponent(words)}`, { credentials: "same-origin" })
        if (!response.ok) return
        const { results } = await response.json()
        list.replaceChildren(...results.map((article) => {
          const option = document.createElement("option")
          option.value = article.url
          option.label = `${article.headline} (${article.published})`
          return option
        }))
      }, 200)
    })
  }

  function watchLinkWindows() {
    const url = (document.querySelector(".article-form") || { dataset: {} }).dataset.articleLinks
    if (!url) return
    new MutationObserver(() => {
      for (const input of document.querySelectorAll(".prose-editor-dialog input[name=href]:not([list])")) {
        offerArticles(input, url)
      }
    }).observe(document.body, { childList: true, subtree: true })
  }

  document.addEventListener("DOMContentLoaded", () => {
    watchLinkWindows()
    const counter = document.querySelector(".article-body__words")
    if (!counter) return
    let pending = null
    const later = () => {
      if (pending === null) pending = requestAnimationFrame(() => { pending = null; show(counter) })
    }
    // Typing, blocks added, removed or marked for deletion: count again at the next frame.
    document.querySelector(".article-body").addEventListener("input", later)
    document.querySelector(".article-body").addEventListener("change", later)
    new MutationObserver(later).observe(document.querySelector(".article-body"), { childList: true, subtree: true, characterData: true })
    show(counter)
  })
})()

/* The focal point of a picture, set by clicking on it on its admin page (media/admin.py): the
 * click fills in the two fields (fractions of the width and height, in thousandths) and a ring
 * marks the point; typing in the fields moves the ring. Without this script the two fields do
 * the same job. A static file, as the Content-Security-Policy allows no inline script; the
 * ring is placed through the CSSOM, which the policy's style-src allows.
 */
;(() => {
  const round = (value) => Math.round(Math.min(1, Math.max(0, value)) * 1000) / 1000

  function bind(picker) {
    const across = document.getElementById("id_focal_x")
    const down = document.getElementById("id_focal_y")
    const picture = picker.querySelector("img")
    const marker = picker.querySelector(".focal-point__marker")
    if (!across || !down || !picture || !marker) return

    function place() {
      const x = across.value === "" ? 0.5 : Number(across.value)
      const y = down.value === "" ? 0.5 : Number(down.value)
      if (!Number.isFinite(x) || !Number.isFinite(y)) return
      marker.style.left = `${round(x) * 100}%`
      marker.style.top = `${round(y) * 100}%`
      marker.hidden = false
    }

    picture.addEventListener("click", (event) => {
      const box = picture.getBoundingClientRect()
      across.value = round((event.clientX - box.left) / box.width)
      down.value = round((event.clientY - box.top) / box.height)
      across.dispatchEvent(new Event("change", { bubbles: true }))
      place()
    })
    across.addEventListener("input", place)
    down.addEventListener("input", place)
    place()
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("[data-focal-point]").forEach(bind)
  })
})()

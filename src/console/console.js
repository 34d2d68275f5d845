// Progressive enhancement of the console's pages. Every page works without this script:
// the controls it adds stay hidden then, and a live figure is as fresh as its page.

// "Copy" buttons.
for (const button of document.querySelectorAll("button[data-copy]")) {
  button.hidden = false;
  button.addEventListener("click", async () => {
    const source = document.getElementById(button.dataset.copy);
    try {
      await navigator.clipboard.writeText(source.textContent);
      button.textContent = "Copied";
    } catch {
      button.textContent = "Select the text to copy it";
    }
  });
}

// A file chooser that reads a text file into the text area it names (the cohort's CSV).
for (const input of document.querySelectorAll("input[type=file][data-fill]")) {
  input.closest("[hidden]")?.removeAttribute("hidden");
  input.addEventListener("change", async () => {
    const file = input.files[0];
    if (file) {
      document.getElementById(input.dataset.fill).value = await file.text();
    }
  });
}

// Live figures (a cohort's delivery report): the element with `data-refresh` is fetched
// again with its page every few seconds, and its content put in place, until the page
// says nothing is pending (`data-pending="0"`).
const live = document.querySelector("[data-refresh]");
if (live) {
  const refresh = async () => {
    if (live.dataset.pending === "0") {
      return;
    }
    try {
      // Not while the page is out of sight: it catches up when it is back.
      if (!document.hidden) {
        const response = await fetch(location.href, { credentials: "same-origin" });
        if (response.ok) {
          const page = new DOMParser().parseFromString(await response.text(), "text/html");
          const fresh = page.querySelector(`[data-refresh="${live.dataset.refresh}"]`);
          // Only a change is put in place, so a screen reader hears only changes.
          if (fresh && fresh.innerHTML !== live.innerHTML) {
            live.innerHTML = fresh.innerHTML;
          }
          if (fresh) {
            live.dataset.pending = fresh.dataset.pending;
          }
        }
      }
    } catch {
      // Offline for a moment: try again at the next turn.
    }
    setTimeout(refresh, 3000);
  };
  setTimeout(refresh, 3000);
}

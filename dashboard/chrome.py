"""Page chrome for keyboard, screen-reader, laptop and tablet users (issue 12, points 5-6).

One block of CSS and one small script, injected once per run:
- a "Skip to content" link, the first Tab stop of the page, that moves focus to the main
  area (past the sidebar's many filter widgets);
- a focus ring (thick amber outline with a dark edge) that looks nothing like the grey
  background of the current page in the navigation;
- at 1,100 px wide or less (a tablet, a small laptop) the sidebar starts collapsed, once
  per browser tab, so the headline cards and charts get the width; the user can open it;
- headline cards wrap onto a second line rather than truncating to "1,…".
"""

from __future__ import annotations

import streamlit as st

NARROW_PX = 1100
FOCUS = "#B35900"  # dark amber: 4.9:1 on white, unlike any chart or navigation colour

_CSS = f"""
<style>
.fbss-skip {{
  position: fixed; left: 8px; top: -60px; z-index: 1000100; padding: 8px 14px;
  background: #ffffff; color: #1a1a1a; border: 3px solid {FOCUS}; border-radius: 6px;
  font-weight: 600; text-decoration: none;
}}
.fbss-skip:focus {{ top: 8px; }}
a:focus-visible, button:focus-visible, [role="button"]:focus-visible, summary:focus-visible,
input:focus-visible, [tabindex]:focus-visible, [role="tab"]:focus-visible,
[data-baseweb="select"] :focus-visible {{
  outline: 3px solid {FOCUS} !important; outline-offset: 2px !important;
  box-shadow: 0 0 0 5px #ffffff !important;
}}
[data-testid="stMain"]:focus {{ outline: none; }}
/* headline cards: wrap to a second row instead of truncating their figures */
[data-testid="stHorizontalBlock"]:has(> [data-testid="stColumn"] [data-testid="stMetric"]) {{
  flex-wrap: wrap; row-gap: 0.75rem;
}}
[data-testid="stHorizontalBlock"] > [data-testid="stColumn"]:has([data-testid="stMetric"]) {{
  min-width: 170px;
}}
[data-testid="stMetricValue"] > div, [data-testid="stMetricLabel"] p {{
  overflow: visible; text-overflow: clip; white-space: normal;
}}
/* contrast (WCAG AA 4.5:1): Streamlit's caption grey is 3.9:1 on white, its red delta
   4.47:1 on its pink chip */
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] p {{
  color: #4f4e4b !important; opacity: 1 !important;
}}
button[data-selected="true"] [data-testid="stMarkdownContainer"] p {{ color: #9b1c2c; }}
[data-testid="stMetricDelta"]:has([data-testid="stMetricDeltaIcon-Down"]) {{
  color: #9b1c2c !important;
}}
[data-testid="stMetricDelta"]:has([data-testid="stMetricDeltaIcon-Up"]) {{
  color: #1d6b36 !important;
}}
@media print {{
  .fbss-skip, [data-testid="stSidebar"], [data-testid="stPopover"] {{ display: none; }}
}}
</style>
"""

_SCRIPT = f"""
<script>
(() => {{
  const doc = window.document;
  if (!doc.getElementById('fbss-skip')) {{
    const link = doc.createElement('a');
    link.id = 'fbss-skip';
    link.className = 'fbss-skip';
    link.href = '#main-content';
    link.textContent = 'Skip to content';
    link.addEventListener('click', (event) => {{
      event.preventDefault();
      const main = doc.querySelector('[data-testid="stMain"]');
      if (!main) return;
      main.id = 'main-content';
      main.setAttribute('tabindex', '-1');
      main.focus();
    }});
    doc.body.insertBefore(link, doc.body.firstChild);
  }}
  const main = doc.querySelector('[data-testid="stMain"]');
  if (main) {{ main.id = 'main-content'; main.setAttribute('tabindex', '-1'); }}
  // Collapse the sidebar once per tab on a narrow screen (Streamlit's "auto" only does
  // so below 768 px); later the user's own choice stands.
  if (window.innerWidth <= {NARROW_PX} && !sessionStorage.getItem('fbss-sidebar-set')) {{
    sessionStorage.setItem('fbss-sidebar-set', '1');
    const collapse = () => {{
      const sidebar = doc.querySelector('[data-testid="stSidebar"]');
      const button = doc.querySelector('[data-testid="stSidebarCollapseButton"] button');
      if (sidebar && sidebar.getAttribute('data-collapsed') === 'false' && button) button.click();
      else if (!sidebar || !button) setTimeout(collapse, 100);
    }};
    collapse();
  }}
}})();
</script>
"""


def inject() -> None:
    """Add the chrome's CSS and script to this run's page (idempotent in the browser)."""
    st.html(_CSS + _SCRIPT, unsafe_allow_javascript=True)

"""Browser tests of the web console, in Debian's chromium through selenium.

Run by `.ci/browser`, against a testnet it started with `vouch-testnet up` (demo included),
whose `console.json` holds a sign-in token for each demo person. Each check prints its name
and PASS or FAIL; a failure keeps a screenshot and the page source in the artifacts
directory. A screenshot of each main page is kept there too.

    python tests/browser/console.py --testnet DIR --artifacts DIR
"""

import argparse
import json
import sys
import traceback
import urllib.error
import urllib.request
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait


class Failed(Exception):
    """A check that did not hold."""


def check(condition, message):
    if not condition:
        raise Failed(message)


class Browser:
    """One headless chromium, one cookie jar: one person at a time."""

    def __init__(self, artifacts: Path):
        options = webdriver.ChromeOptions()
        options.binary_location = "/usr/bin/chromium"
        for arg in (
            "--headless=new",
            "--no-sandbox",  # CI runs as root
            "--disable-dev-shm-usage",
            "--window-size=1280,1100",
            "--lang=en-US",
        ):
            options.add_argument(arg)
        self.driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
        self.driver.set_page_load_timeout(30)
        self.artifacts = artifacts

    def quit(self):
        self.driver.quit()

    def open(self, url):
        self.driver.get(url)

    def go(self, css):
        """Click the link or button `css` and wait for the next page to load."""
        element = self.find(css)
        check(element is not None, f"no element {css} to click on {self.driver.current_url}")
        page = self.driver.find_element(By.TAG_NAME, "html")
        element.click()
        WebDriverWait(self.driver, 30).until(expected_conditions.staleness_of(page))

    def lang(self):
        return self.driver.find_element(By.TAG_NAME, "html").get_attribute("lang") or ""

    def find(self, css):
        found = self.driver.find_elements(By.CSS_SELECTOR, css)
        return found[0] if found else None

    def has(self, css):
        return self.find(css) is not None

    def text(self, css):
        element = self.find(css)
        check(element is not None, f"no element {css} on {self.driver.current_url}")
        return element.text

    def shot(self, name):
        self.driver.save_screenshot(str(self.artifacts / f"{name}.png"))
        (self.artifacts / f"{name}.html").write_text(self.driver.page_source, encoding="utf-8")

    def sign_in(self, login):
        self.driver.delete_all_cookies()
        self.open(login["console"] + "sign-in")
        self.find("#token").send_keys(login["token"])
        self.go("#sign-in")
        check(
            self.has("#signed-in-as"),
            f"signing in as {login['name']} ({login['role']}) did not work: "
            f"{self.find('#sign-in-error').text if self.has('#sign-in-error') else self.driver.current_url}",
        )

    def sign_out(self):
        self.go("#sign-out")
        check(self.has("#sign-in-link"), "signing out did not work")

    def cookie(self, name):
        c = self.driver.get_cookie(name)
        return c["value"] if c else None


def post(url, fields, cookies):
    """POST a form outside the browser; the status code."""
    body = "&".join(f"{k}={urllib.request.quote(v)}" for k, v in fields.items()).encode()
    request = urllib.request.Request(url, data=body, method="POST")
    request.add_header("Content-Type", "application/x-www-form-urlencoded")
    request.add_header("Cookie", "; ".join(f"{k}={v}" for k, v in cookies.items()))
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as e:
        return e.code


def fetch(url, cookies):
    """GET outside the browser with the browser's cookies; the body."""
    request = urllib.request.Request(url)
    request.add_header("Cookie", "; ".join(f"{k}={v}" for k, v in cookies.items()))
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.read()


class Suite:
    def __init__(self, testnet: Path, artifacts: Path):
        self.logins = json.loads((testnet / "console.json").read_text(encoding="utf-8"))
        self.browser = Browser(artifacts)

    def login(self, role, org):
        for login in self.logins:
            if login["role"] == role and login["org"] == org:
                return login
        raise Failed(f"console.json has no {role} of {org}")

    # The checks, in order.

    def signed_out_sees_integrity_only(self):
        b = self.browser
        auditor = self.login("auditor", "audit-x")
        b.driver.delete_all_cookies()
        b.open(auditor["console"])
        check(b.has("#ledger-facts"), "the signed-out home page shows no ledger facts")
        check(b.has("#checkpoint-verified"), "the signed-out home page shows no verified checkpoint")
        check(not b.has("#nav-dashboard") and not b.has("#nav-inbox"), "a signed-out visitor sees work links")
        b.shot("01-integrity-signed-out")
        b.open(auditor["console"] + "dashboard")
        check(not b.has("#items") and not b.has("#by-client"), "a signed-out visitor sees the dashboard")

    def every_role_signs_in_to_its_page(self):
        b = self.browser
        pages = [
            ("auditor", "audit-x", "#nav-dashboard", "dashboard", "#by-client"),
            ("bank maker", "bank-a", "#nav-inbox", "inbox", "#items, #empty"),
            ("client", "bank-a", "#nav-inbox", "inbox", "#items, #empty"),
            ("regulator", "regulator", "#nav-integrity", "integrity", "#validators"),
        ]
        for n, (role, org, link, shot, content) in enumerate(pages, start=2):
            login = self.login(role, org)
            b.sign_in(login)
            b.go(link)
            check(b.has(content), f"{role}: {content} missing on {b.driver.current_url}")
            b.shot(f"0{n}-{shot}-{role.replace(' ', '-')}")
            b.sign_out()

    def language_switch_persists(self):
        b = self.browser
        login = self.login("auditor", "audit-x")
        b.sign_in(login)
        b.go("#lang-zh")
        check(b.lang().startswith("zh"), f"no Chinese page: lang={b.lang()!r}")
        b.open(login["console"] + "dashboard")
        check(b.lang().startswith("zh"), "Chinese did not persist to the next page")
        b.shot("06-dashboard-zh")
        b.go("#lang-en")
        check(b.lang().startswith("en"), "no way back to English")
        b.sign_out()

    def another_bank_cannot_open_a_request_by_url(self):
        b = self.browser
        auditor = self.login("auditor", "audit-x")
        b.sign_in(auditor)
        b.open(auditor["console"] + "dashboard")
        rows = b.driver.find_elements(By.CSS_SELECTOR, "#items tr[id^='row-']")
        check(rows, "the auditor's dashboard lists no confirmation")
        rid = rows[0].get_attribute("id").removeprefix("row-")
        b.open(auditor["console"] + f"confirmations/{rid}")
        check(b.has("#summary") and b.has("#timeline"), "the auditor cannot open its own confirmation")
        b.shot("07-confirmation-auditor")
        b.sign_out()
        other = self.login("bank maker", "bank-b")
        b.sign_in(other)
        b.open(other["console"] + f"confirmations/{rid}")
        check(not b.has("#summary") and not b.has("#timeline"), "bank-b opened bank-a's confirmation by URL")
        check(b.has("#error"), "bank-b sees no not-found page")
        b.shot("08-confirmation-other-bank-not-found")
        b.sign_out()

    def a_form_without_its_csrf_token_is_refused(self):
        b = self.browser
        login = self.login("bank maker", "bank-a")
        b.sign_in(login)
        session = b.cookie("vouch_session")
        check(session, "no session cookie after signing in")
        status = post(login["console"] + "sign-out", {}, {"vouch_session": session})
        check(status == 403, f"sign-out without a CSRF token answered {status}, not 403")
        status = post(login["console"] + "sign-out", {"csrf": "forged"}, {"vouch_session": session})
        check(status == 403, f"sign-out with a forged CSRF token answered {status}, not 403")
        b.open(login["console"] + "inbox")
        check(b.has("#signed-in-as"), "a refused forged sign-out still ended the session")
        b.sign_out()

    def the_regulator_sees_statistics_audits_and_verifies_a_bundle(self):
        b = self.browser
        regulator = self.login("regulator", "regulator")
        b.sign_in(regulator)
        check(b.has("#bank-stats"), f"the regulator's home is not the statistics: {b.driver.current_url}")
        for bank in ("bank-a", "bank-b"):
            check(b.has(f"#bank-{bank}"), f"no statistics row for {bank}")
            check(b.has(f"svg#days-{bank}") and b.has(f"svg#months-{bank}"), f"no charts for {bank}")
        answered = int(b.find("#bank-bank-a td:nth-child(3)").text)
        check(answered >= 2, f"bank-a shows {answered} answered requests; the demo answered two")
        b.shot("09-oversight-regulator")
        b.go("#nav-self-audit")
        b.go("#run-self-audit")
        check(b.has("#audit-ok"), "the self-audit found a fault: " + (b.find("#audit-fault").text if b.has("#audit-fault") else "?"))
        b.shot("10-self-audit")
        # A bundle, fetched as the auditor would download it, then uploaded.
        auditor = self.login("auditor", "audit-x")
        b.sign_out()
        b.sign_in(auditor)
        b.open(auditor["console"] + "dashboard")
        rows = b.driver.find_elements(By.CSS_SELECTOR, "#items tr[id^='row-']")
        check(rows, "the auditor's dashboard lists no confirmation")
        rid = rows[0].get_attribute("id").removeprefix("row-")
        bundle = fetch(auditor["console"] + f"confirmations/{rid}/bundle", {"vouch_session": b.cookie("vouch_session")})
        path = self.browser.artifacts / "bundle.json"
        path.write_bytes(bundle)
        b.sign_out()
        b.sign_in(regulator)
        b.go("#nav-verify")
        b.find("#bundle-file").send_keys(str(path.resolve()))
        b.go("#verify-bundle")
        check(b.has("#verify-ok"), "the bundle did not verify: " + (b.find("#verify-error").text if b.has("#verify-error") else "?"))
        check(b.has("#verify-authority"), "the page does not say who checked the bundle")
        b.shot("11-bundle-verified")
        b.sign_out()

    def markup_in_input_is_shown_as_text(self):
        b = self.browser
        login = self.login("auditor", "audit-x")
        b.driver.delete_all_cookies()
        b.open(login["console"] + "sign-in")
        hostile = "<script>document.title='pwned'</script><b id=injected>x</b>"
        b.find("#token").send_keys(hostile)
        b.go("#sign-in")
        check(b.driver.title != "pwned", "a script in the sign-in form ran")
        check(not b.has("#injected"), "markup in the sign-in form was rendered")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--testnet", type=Path, required=True)
    parser.add_argument("--artifacts", type=Path, required=True)
    args = parser.parse_args()
    args.artifacts.mkdir(parents=True, exist_ok=True)
    suite = Suite(args.testnet, args.artifacts)
    checks = [
        suite.signed_out_sees_integrity_only,
        suite.every_role_signs_in_to_its_page,
        suite.language_switch_persists,
        suite.another_bank_cannot_open_a_request_by_url,
        suite.a_form_without_its_csrf_token_is_refused,
        suite.the_regulator_sees_statistics_audits_and_verifies_a_bundle,
        suite.markup_in_input_is_shown_as_text,
    ]
    failures = 0
    try:
        for c in checks:
            name = c.__name__
            try:
                c()
                print(f"PASS {name}", flush=True)
            except Exception as e:  # every failure is reported, then the next check runs
                failures += 1
                print(f"FAIL {name}: {e}", flush=True)
                if not isinstance(e, Failed):
                    traceback.print_exc()
                try:
                    suite.browser.shot(f"FAILED-{name}")
                except Exception:
                    pass
    finally:
        suite.browser.quit()
    print(f"{len(checks) - failures} passed, {failures} failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()

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
import time
import traceback
import urllib.error
import urllib.request
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select
from selenium.webdriver.support.ui import WebDriverWait


class Failed(Exception):
    """A check that did not hold."""


def check(condition, message):
    if not condition:
        raise Failed(message)


def gone(element):
    """Whether `element` left the document (chromium reports it either way)."""
    try:
        element.is_enabled()
        return False
    except WebDriverException:  # StaleElementReferenceException is one
        return True


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
        """Click the link or button `css` and wait for the next page to have loaded."""
        for attempt in range(3):
            self.loaded()
            element = self.find(css)
            check(element is not None, f"no element {css} to click on {self.driver.current_url}")
            page = self.driver.find_element(By.TAG_NAME, "html")
            try:
                element.click()
                break
            except WebDriverException:
                # The page was still being replaced when the element was found: find it again.
                if attempt == 2:
                    raise
        WebDriverWait(self.driver, 30).until(lambda _: gone(page))
        self.loaded()

    def loaded(self):
        WebDriverWait(self.driver, 30).until(
            lambda d: d.execute_script("return document.readyState") == "complete"
        )

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

    def type(self, css, text):
        element = self.find(css)
        check(element is not None, f"no field {css} on {self.driver.current_url}")
        element.clear()
        element.send_keys(text)

    def set_value(self, css, value):
        """Set a field's value directly (date inputs take locale-dependent typing)."""
        element = self.find(css)
        check(element is not None, f"no field {css} on {self.driver.current_url}")
        self.driver.execute_script("arguments[0].value = arguments[1];", element, value)

    def select(self, css, value):
        element = self.find(css)
        check(element is not None, f"no select {css} on {self.driver.current_url}")
        Select(element).select_by_value(value)

    def sign_shown_draft(self, shot=None):
        """On a draft page: the readable document and its hash are shown; sign it."""
        check(self.has("#signing-hash"), f"no signing hash on the draft page {self.driver.current_url}")
        check(len(self.text("#signing-hash")) == 64, "the signing hash is not 64 hex digits")
        if shot:
            self.shot(shot)
        self.go("#sign")
        check(self.has("#sign-result"), f"signing showed no result: {self.error()}")

    def fill_officers(self, maker, checker):
        """On an answer form: the maker's and checker's names and contacts, the checker's id."""
        for who, login in (("maker", maker), ("checker", checker)):
            self.type(f"[name='{who}_name']", login["name"])
            self.type(f"[name='{who}_position']", "函证中心")
            self.type(f"[name='{who}_phone']", "0571-88881111")
        self.type("#checker", checker["holder"].removeprefix("person "))

    def cosign_as_checker(self, checker, draft):
        """The checker signs in, opens the maker's draft (`/drafts/<id>`), signs, signs out."""
        self.sign_in(checker)
        self.open(checker["console"] + draft.lstrip("/"))
        self.sign_shown_draft()
        self.sign_out()

    def error(self):
        return self.find("#error").text if self.has("#error") else self.driver.current_url

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


def wait_for(what, condition, timeout=60, poll=1.0):
    """Poll `condition` until it is true; fail naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        if condition():
            return
        if time.monotonic() > deadline:
            raise Failed(f"{what}: not within {timeout} s")
        time.sleep(poll)


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
        # Network health: every validator's progress, from the cosignatures this node saw.
        check(b.has("#health") and b.has("#progress"), "no network health on the integrity page")
        check(int(b.text("#health-peers")) >= 3, "the node reports fewer than 3 peers")
        cosigners = [r.text for r in b.driver.find_elements(By.CSS_SELECTOR, "#progress tbody tr td:first-child")]
        check(len(cosigners) == 4, f"progress lists {cosigners}, not the 4 validators")
        check(b.has("#alerts-none"), "the demo network shows misbehavior alerts")
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

    def open_confirmation(self, login, rid, status=None):
        """Open a confirmation on `login`'s node, waiting for it (and `status`) to arrive there."""
        b = self.browser
        url = login["console"] + f"confirmations/{rid}"

        def arrived():
            b.open(url)
            return b.has("#summary") and (status is None or b.text("#status") == status)

        wait_for(f"confirmation {rid[:12]}… with status {status} on {login['org']}'s node", arrived)

    def the_whole_workflow_in_the_browser(self):
        b = self.browser
        auditor = self.login("auditor", "audit-x")
        client = next(l for l in self.logins if l["role"] == "client" and l["org"] == "bank-a")
        maker = self.login("bank maker", "bank-a")
        checker = self.login("bank checker", "bank-a")
        regulator = self.login("regulator", "regulator")
        client_ref = client["holder"].removeprefix("client ")

        b.sign_in(regulator)
        answered_before = int(b.find("#bank-bank-a td:nth-child(3)").text)
        b.sign_out()

        # The auditor writes the letter: one deposit account, the other items not asked.
        b.sign_in(auditor)
        b.open(auditor["console"] + "requests/new")
        b.go("#add-deposits")
        letter_no = f"BR-{int(time.time())}"
        fields = {
            "bank": "bank-a", "client": client_ref, "letter_no": letter_no, "response_days": "10",
            "client_name": client["name"], "client_credit_code": "9144030071526726XG",
            "audit_firm_name": "示例会计师事务所", "period_audited": "2025年度",
            "auditing_standard": "中国注册会计师审计准则", "reply_name": "王审计",
            "reply_address": "杭州市西湖区示例路1号", "reply_phone": "0571-88880000", "reply_postcode": "310000",
        }
        for name, value in fields.items():
            b.type(f"#letter [name='{name}']", value)
        b.set_value("#letter [name='as_of']", "2025-12-31")
        b.select("select[name='s:deposits']", "rows")
        row = {"account_name": client["name"], "account_number": "1202020209000012345", "currency": "CNY",
               "balance": "1234567.89", "account_type": "基本存款账户"}
        for column, value in row.items():
            b.type(f"#row-deposits-0 [name='r:deposits:0:{column}']", value)
        b.select("#row-deposits-0 [name='r:deposits:0:cash_pooling']", "false")
        b.select("#row-deposits-0 [name='r:deposits:0:restricted']", "false")
        b.shot("12-request-form")
        b.go("#prepare-request")
        check(not b.has("#request-errors"), "the letter was refused: " + (b.find("#request-errors").text if b.has("#request-errors") else ""))
        check(letter_no in b.text("#draft-body"), "the draft does not show the letter number it will sign")
        sealed = b.text("#draft-contents")
        check("1234567.89" in sealed or "1,234,567.89" in sealed, "the draft does not show the balance it will seal")
        b.sign_shown_draft("13-request-draft")
        rid = b.text("#document-id")
        b.sign_out()

        # The client authorizes the bank to answer.
        b.sign_in(client)
        self.open_confirmation(client, rid, None)
        b.set_value("#action-authorize [name='valid_until']", "2027-12-31")
        b.go("#draft-authorize")
        b.sign_shown_draft("14-authorization-draft")
        b.sign_out()

        # The bank answers with one exception: maker, then checker.
        hostile = "<img src=x onerror=\"document.title='pwned'\"><b id=injected>x</b>"
        b.sign_in(maker)
        self.open_confirmation(maker, rid, None)
        wait_for("the answer link", lambda: (b.open(maker["console"] + f"confirmations/{rid}"), b.has("#answer-link"))[1])
        b.go("#answer-link")
        b.driver.find_element(By.CSS_SELECTOR, "input[name='a:deposits:0'][value='exception']").click()
        b.type("[name='b:deposits:0:balance']", "1234000.00")
        b.type("[name='e:deposits:0']", "余额差异：未达账项 " + hostile)
        b.fill_officers(maker, checker)
        b.go("#prepare-answer")
        check(b.driver.title != "pwned" and not b.has("#injected"), "markup in the explanation was rendered")
        b.sign_shown_draft("15-answer-draft-maker")
        check(b.has("#checker-link"), "the maker's signature does not wait for the checker")
        draft = b.text("#checker-link")
        b.sign_out()
        b.cosign_as_checker(checker, draft)

        # The bank corrects its answer: everything agrees after all.
        b.sign_in(maker)
        self.open_confirmation(maker, rid, "Answered")
        b.go("#correct-link")
        b.type("[name='reason']", "未达账项已核实，余额相符")
        b.fill_officers(maker, checker)
        b.go("#prepare-answer")
        b.sign_shown_draft("16-correction-draft-maker")
        draft = b.text("#checker-link")
        b.sign_out()
        b.cosign_as_checker(checker, draft)

        # The auditor sees the answer, accepts it and downloads the bundle.
        b.sign_in(auditor)
        wait_for(
            "the corrected answer on audit-x's node",
            lambda: (b.open(auditor["console"] + f"confirmations/{rid}"),
                     b.has("#timeline") and len(b.driver.find_elements(By.CSS_SELECTOR, "#timeline tr[id^='doc-']")) >= 4)[1],
        )
        check(not b.has("#injected") and b.driver.title != "pwned", "markup from the bank was rendered on the auditor's page")
        b.go("#draft-accept")
        b.sign_shown_draft("17-accept-draft")
        self.open_confirmation(auditor, rid, "Accepted")
        proofs = [td.text for td in b.driver.find_elements(By.CSS_SELECTOR, "#timeline tr[id^='doc-'] td:last-child")]
        check(len(proofs) >= 5, f"the timeline shows {len(proofs)} documents, not the five signed")
        b.shot("18-confirmation-accepted")
        bundle = None

        def downloaded():
            nonlocal bundle
            try:
                bundle = fetch(auditor["console"] + f"confirmations/{rid}/bundle", {"vouch_session": b.cookie("vouch_session")})
                return True
            except urllib.error.HTTPError as e:
                if e.code == 409:  # not in a cosigned checkpoint yet
                    return False
                raise
        wait_for("the evidence bundle (after the next checkpoint)", downloaded)
        path = self.browser.artifacts / "workflow-bundle.json"
        path.write_bytes(bundle)
        # The human-readable report, with the letter and answers opened by the auditor's
        # key that this node holds.
        report = fetch(auditor["console"] + f"confirmations/{rid}/report", {"vouch_session": b.cookie("vouch_session")})
        (self.browser.artifacts / "workflow-report.html").write_bytes(report)
        text = report.decode("utf-8")
        check(letter_no in text, "the report does not name the letter")
        check("1,234,567.89" in text or "1234567.89" in text, "the report does not show the opened letter's balance")
        check("<b id=injected>" not in text, "the report renders the bank's markup")
        b.open("file://" + str((self.browser.artifacts / "workflow-report.html").resolve()))
        b.shot("19a-report")
        b.open(auditor["console"] + "dashboard")
        b.sign_out()

        # The regulator sees the statistics change and verifies the bundle.
        b.sign_in(regulator)
        wait_for(
            "bank-a's answered count to grow on the regulator's node",
            lambda: (b.open(regulator["console"] + "oversight"), int(b.find("#bank-bank-a td:nth-child(3)").text) > answered_before)[1],
        )
        b.shot("19-oversight-after")
        b.go("#nav-verify")
        b.find("#bundle-file").send_keys(str(path.resolve()))
        b.go("#verify-bundle")
        check(b.has("#verify-ok"), "the workflow's bundle did not verify: " + (b.find("#verify-error").text if b.has("#verify-error") else "?"))
        check(letter_no in b.text("#verified-letter"), "the verified bundle is not the workflow's letter")
        b.shot("20-workflow-bundle-verified")
        b.sign_out()

    def a_malformed_csv_is_refused_row_by_row_and_nothing_is_signed(self):
        b = self.browser
        auditor = self.login("auditor", "audit-x")
        client = next(l for l in self.logins if l["role"] == "client" and l["org"] == "bank-a")
        ref = client["holder"].removeprefix("client ")
        header = ("bank,client,as_of,letter_no,client_name,client_credit_code,audit_firm_name,period_audited,"
                  "auditing_standard,reply_name,reply_address,reply_phone,items")
        good = f"bank-a,{ref},2025-12-31,CSV-{int(time.time())},示例,9144030071526726XG,示例所,2025年度,准则,王,杭州,0571-1,deposits"
        csv = "\n".join([header, good, "bank-a,only-two-fields", good.replace("deposits", "deposits;<script>x</script>")])
        b.sign_in(auditor)
        b.open(auditor["console"] + "requests/batch")
        b.set_value("#csv", csv)
        b.go("#preview")
        errors = b.driver.find_elements(By.CSS_SELECTOR, ".batch-error")
        check(len(errors) == 2, f"{len(errors)} rows refused, not the 2 malformed ones")
        check(not b.has("#sign-all"), "a batch with refused rows can still be signed")
        check("<script>x</script>" in b.text("#batch-errors"), "the refused markup is not shown as text")
        b.shot("21-batch-refused")
        b.sign_out()

    def a_batch_letter_is_answered_by_filling_in_the_banks_rows(self):
        b = self.browser
        auditor = self.login("auditor", "audit-x")
        client = next(l for l in self.logins if l["role"] == "client" and l["org"] == "bank-a")
        maker = self.login("bank maker", "bank-a")
        checker = self.login("bank checker", "bank-a")
        ref = client["holder"].removeprefix("client ")
        header = ("bank,client,as_of,letter_no,client_name,client_credit_code,audit_firm_name,period_audited,"
                  "auditing_standard,reply_name,reply_address,reply_phone,items")
        letter_no = f"B2-{int(time.time())}"
        row = (f"bank-a,{ref},2025-12-31,{letter_no},{client['name']},9144030071526726XG,示例会计师事务所,"
               "2025年度,中国注册会计师审计准则,王审计,杭州市西湖区示例路1号,0571-88880000,deposits;loans")
        # The auditor issues a form-2 letter from a CSV batch: previewed, then signed all at once.
        b.sign_in(auditor)
        b.open(auditor["console"] + "requests/batch")
        b.set_value("#csv", header + "\n" + row)
        b.go("#preview")
        check(b.has("#batch-ok") and b.has("#sign-all"), "the good batch is not offered for signing: " + b.error())
        b.go("#sign-all")
        links = b.driver.find_elements(By.CSS_SELECTOR, "#batch-signed a[href^='/confirmations/']")
        check(len(links) == 1, f"{len(links)} letters signed, not 1")
        rid = links[0].get_attribute("href").rsplit("/", 1)[-1]
        b.shot("22-batch-signed")
        b.sign_out()
        # The client authorizes.
        b.sign_in(client)
        self.open_confirmation(client, rid, None)
        b.set_value("#action-authorize [name='valid_until']", "2027-12-31")
        b.go("#draft-authorize")
        b.sign_shown_draft()
        b.sign_out()
        # The bank fills in its deposit row (loans: none), maker then checker.
        b.sign_in(maker)
        wait_for("the answer link", lambda: (b.open(maker["console"] + f"confirmations/{rid}"), b.has("#answer-link"))[1])
        b.go("#answer-link")
        check(b.has("#fill-deposits") and b.has("#fill-loans"), "the form-2 letter offers no rows to fill")
        for column, value in {"account_name": client["name"], "account_number": "6222000011112222",
                              "currency": "CNY", "balance": "88000.00", "account_type": "基本存款账户"}.items():
            b.type(f"[name='f:deposits:0:{column}']", value)
        b.select("[name='f:deposits:0:cash_pooling']", "false")
        b.select("[name='f:deposits:0:restricted']", "false")
        b.fill_officers(maker, checker)
        b.shot("23-form2-answer-form")
        b.go("#prepare-answer")
        check("6222000011112222" in b.driver.page_source, "the draft does not show the bank's row")
        b.sign_shown_draft("24-form2-answer-draft")
        draft = b.text("#checker-link")
        b.sign_out()
        b.cosign_as_checker(checker, draft)
        b.sign_in(auditor)
        self.open_confirmation(auditor, rid, "Answered")
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
        suite.the_whole_workflow_in_the_browser,
        suite.a_malformed_csv_is_refused_row_by_row_and_nothing_is_signed,
        suite.a_batch_letter_is_answered_by_filling_in_the_banks_rows,
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

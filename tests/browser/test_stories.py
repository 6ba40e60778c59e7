"""Stories of people using Porch in a browser, against a real `porch serve`."""

from __future__ import annotations

import re

import pytest

try:
    from playwright.sync_api import Page, expect
except ImportError:  # the browser fixture skips these tests, or fails them when CI=true
    Page = expect = None  # type: ignore[assignment,misc]

pytestmark = pytest.mark.browser


def test_ana_signs_up_and_lands_on_her_home_timeline(page: Page, porch) -> None:
    ana = porch.unique("ana")
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Porch")
    page.get_by_role("main").get_by_role("link", name="Join").click()
    expect(page).to_have_url(re.compile(r"/signup$"))

    page.get_by_label("Username").fill(ana)
    page.get_by_label("Email").fill(f"{ana}@example.com")
    page.get_by_label("Password").fill(porch.password)
    page.get_by_role("button", name="Sign up").click()

    expect(page).to_have_url(porch.url + "/")
    expect(page.get_by_role("status")).to_contain_text(f"Welcome to Porch, {ana}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Home")
    main_nav = page.get_by_role("navigation", name="Main")
    expect(main_nav.get_by_role("link", name="Profile")).to_have_attribute("href", f"/@{ana}")


def test_sign_up_explains_a_short_password_next_to_the_field(page: Page, porch) -> None:
    ana = porch.unique("ana")
    page.goto("/signup")
    page.get_by_label("Username").fill(ana)
    page.get_by_label("Email").fill(f"{ana}@example.com")
    page.get_by_label("Password").fill("short")
    page.get_by_role("button", name="Sign up").click()

    password = page.get_by_label("Password")
    expect(password).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#password-error")).to_be_visible()
    # What she typed is kept, except the password.
    expect(page.get_by_label("Username")).to_have_value(ana)
    expect(password).to_have_value("")


def test_ana_logs_out_and_back_in(page: Page, porch) -> None:
    ana = porch.unique("ana")
    porch.sign_up(page, ana)

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("main").get_by_role("link", name="Join")).to_be_visible()
    expect(page.get_by_role("button", name="Log out")).to_have_count(0)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Log in").click()
    page.get_by_label("Username or email").fill(ana)
    page.get_by_label("Password").fill("not her password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_be_visible()

    page.get_by_label("Password").fill(porch.password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Home")
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def test_ana_posts_and_sees_it_wait_with_a_countdown(page: Page, porch) -> None:
    ana = porch.unique("ana")
    porch.sign_up(page, ana)
    page.get_by_role("link", name="Write a post").click()
    page.get_by_label("Your post").fill("First evening on the porch.")
    page.get_by_role("button", name="Post", exact=True).click()

    post = page.locator("article.post.pending")
    expect(post).to_contain_text("First evening on the porch.")
    expect(post).to_contain_text("Only you can see this")
    countdown = post.locator(".countdown")
    expect(countdown).to_have_text(re.compile(r"^[1-9]\d* s$"))
    expect(countdown).not_to_have_text(countdown.inner_text(), timeout=3_000)  # it ticks

    # Her home timeline shows it too, still waiting.
    page.goto("/")
    expect(page.locator("article.post.pending")).to_contain_text("First evening on the porch.")

    # When the pause ends the page reloads by itself and the post is out.
    timeout = porch.publish_timeout * 1000
    expect(page.locator("article.post.pending")).to_have_count(0, timeout=timeout)
    expect(page.locator("article.post")).to_contain_text("First evening on the porch.")
    expect(page.get_by_text("Only you can see this")).to_have_count(0)


def test_ana_edits_during_the_pause_and_the_pause_goes_on(page: Page, new_context, porch) -> None:
    ana = porch.unique("ana")
    porch.sign_up(page, ana)
    path = porch.write_post(page, "Teh weather is lovely.")
    publish_at = page.locator("article.post.pending .countdown").get_attribute("data-publish-at")
    assert publish_at

    page.locator("article.post.pending").get_by_role("link", name="Edit").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Edit your post")
    expect(page.locator(".countdown")).to_have_attribute("data-publish-at", publish_at)
    text = page.get_by_label("Your post")
    expect(text).to_have_value("Teh weather is lovely.")
    text.fill("The weather is lovely.")
    page.get_by_role("button", name="Save changes").click()

    expect(page.locator(".flash")).to_contain_text("The pause goes on")
    post = page.locator("article.post.pending")
    expect(post).to_contain_text("The weather is lovely.")
    expect(post).not_to_contain_text("Teh")
    # The same publish time as before the edit: the pause was not restarted.
    countdown = post.locator(".countdown")
    expect(countdown).to_have_attribute("data-publish-at", publish_at)
    assert int(countdown.inner_text().split()[0]) <= porch.server.post_pause

    # She starts a second edit and is still typing when the pause ends: the page does
    # not reload under her, it tells her, and her words stay in the box.
    post.get_by_role("link", name="Edit").click()
    text.fill("The weather is lovely. Off to the garden!")
    expect(page.locator(".pause-note")).to_contain_text(
        "has gone out as it was", timeout=porch.publish_timeout * 1000
    )
    expect(text).to_have_value("The weather is lovely. Off to the garden!")
    visitor = new_context().request
    porch.eventually(lambda: visitor.get(path).status == 200)
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("alert")).to_contain_text("This post went out before your change")
    expect(text).to_have_value("The weather is lovely. Off to the garden!")
    # One click posts her late words as a new post; the first stays as it went out.
    page.get_by_role("button", name="Post as a new post").click()
    page.wait_for_url(re.compile(r"/@\w+/\d+$"))
    assert page.url.removeprefix(porch.url) != path
    expect(page.locator("article.post.pending")).to_contain_text("Off to the garden!")

    page.goto(path)
    expect(page.locator("article.post.focus")).to_contain_text("The weather is lovely.")
    expect(page.locator("article.post.focus")).not_to_contain_text("Off to the garden")
    expect(page.locator("article.post.pending")).to_have_count(0)


def test_ana_withdraws_and_gets_her_words_back_as_a_draft(page: Page, porch) -> None:
    ana = porch.unique("ana")
    porch.sign_up(page, ana)
    path = porch.write_post(page, "Maybe I should not say this.")

    page.get_by_role("button", name="Withdraw").click()
    expect(page).to_have_url(re.compile(r"/compose\?draft=\d+$"))
    expect(page.get_by_role("status")).to_contain_text("Withdrawn. Nobody saw it.")
    expect(page.get_by_label("Your post")).to_have_value("Maybe I should not say this.")

    # The post itself is gone.
    assert porch.status(page, path) == 404
    page.goto("/")
    expect(page.locator("article.post")).to_have_count(0)

    # It waits in her drafts, and she can post it from there.
    page.goto("/drafts")
    draft = page.locator("article.draft")
    expect(draft).to_contain_text("Maybe I should not say this.")
    draft.get_by_role("link", name="Revise and post").click()
    page.get_by_label("Your post").fill("I will say it kindly.")
    page.get_by_role("button", name="Post", exact=True).click()
    expect(page.locator("article.post.pending")).to_contain_text("I will say it kindly.")
    page.goto("/drafts")
    expect(page.get_by_text("No drafts.")).to_be_visible()


def test_ben_sees_anas_post_only_after_the_pause_then_replies_and_ana_is_told(
    new_context, porch
) -> None:
    ana, ben = porch.unique("ana"), porch.unique("ben")
    ana_page = new_context().new_page()
    ben_page = new_context().new_page()
    porch.sign_up(ana_page, ana)
    porch.sign_up(ben_page, ben)

    words = f"Does anyone know a good bread recipe? asks {ana}"
    path = porch.write_post(ana_page, words)

    # During the pause Ben finds it neither on the local timeline nor at its address.
    ben_page.goto("/local")
    expect(ben_page.get_by_role("heading", level=1)).to_have_text("Local")
    expect(ben_page.get_by_text(words)).to_have_count(0)
    assert porch.status(ben_page, path) == 404
    expect(ben_page.get_by_text(words)).to_have_count(0)
    ana_page.reload()
    expect(ana_page.locator("article.post.pending")).to_have_count(1)  # still in its pause

    # After the pause he does, without any of the author's controls.
    porch.eventually(lambda: porch.status(ben_page, path) == 200)
    post = ben_page.locator("article.post.focus")
    expect(post).to_contain_text(words)
    expect(post).not_to_contain_text("Only you can see this")
    expect(post.get_by_role("button", name="Withdraw")).to_have_count(0)
    ben_page.goto("/local")
    expect(ben_page.get_by_text(words)).to_be_visible()

    # He replies from the thread; the composer shows what he is answering.
    ben_page.goto(path)
    ben_page.locator("article.post.focus").get_by_role("link", name="Reply").click()
    expect(ben_page.get_by_role("heading", level=1)).to_have_text(f"Reply to {ana}")
    replying_to = ben_page.get_by_role("region", name="The post you are replying to")
    expect(replying_to).to_contain_text(words)
    reply = ben_page.get_by_label("Your reply")
    expect(reply).to_have_value(f"@{ana} ")
    # The caret waits after the mention, so Ben just types.
    reply.press_sequentially("Flour, water, salt and patience.")
    expect(reply).to_have_value(f"@{ana} Flour, water, salt and patience.")
    ben_page.get_by_role("button", name="Reply", exact=True).click()

    pending = ben_page.locator("article.post.pending")
    expect(pending).to_contain_text("Flour, water, salt and patience.")
    expect(pending).to_contain_text("Only you can see this")
    # The page reloads by itself once the reply is out; the thread shows both posts.
    expect(pending).to_have_count(0, timeout=porch.publish_timeout * 1000)
    thread = ben_page.locator(".thread article.post")
    expect(thread).to_have_count(2)
    expect(thread.nth(0)).to_contain_text(words)
    expect(thread.nth(1)).to_contain_text("Flour, water, salt and patience.")

    # Ana is told, and the notification leads to the thread.
    ana_page.goto("/")
    expect(ana_page.get_by_label("1 unread")).to_be_visible()
    ana_page.get_by_role("link", name=re.compile("^Notifications")).click()
    note = ana_page.locator(".notifications li").first
    expect(note).to_contain_text(ben)
    expect(note).to_contain_text("replied to your post")
    expect(note).to_contain_text("Flour, water, salt and patience.")
    # The reply reads as text; its time opens it.
    expect(note.get_by_role("link", name=re.compile("Flour"))).to_have_count(0)
    note.get_by_role("link", name=re.compile("^Open the post")).click()
    expect(ana_page.locator(".thread article.post")).to_have_count(2)


def test_without_javascript_ana_can_post_edit_and_withdraw(new_context, porch) -> None:
    ana = porch.unique("ana")
    page = new_context(java_script_enabled=False).new_page()
    porch.sign_up(page, ana)
    path = porch.write_post(page, "No scripts needed.")
    post = page.locator("article.post.pending")
    expect(post).to_contain_text("Only you can see this")
    expect(post.locator(".countdown")).to_have_text(re.compile(r"^\d+ s$"))
    # Without the live countdown there is a link to look again.
    expect(post.get_by_role("link", name="Refresh")).to_have_attribute("href", path)

    post.get_by_role("link", name="Edit").click()
    page.get_by_label("Your post").fill("No scripts needed, truly.")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator("article.post.pending")).to_contain_text("No scripts needed, truly.")

    page.locator("article.post.pending").get_by_role("button", name="Withdraw").click()
    expect(page.get_by_label("Your post")).to_have_value("No scripts needed, truly.")


def test_ben_approves_followers_himself_and_answers_anas_request(new_context, porch) -> None:
    ana, ben = porch.unique("ana"), porch.unique("ben")
    ana_page = new_context().new_page()
    ben_page = new_context().new_page()
    porch.sign_up(ana_page, ana)
    porch.sign_up(ben_page, ben)

    ben_page.goto("/settings/profile")
    ben_page.get_by_label("Approve followers myself").check()
    ben_page.get_by_role("button", name="Save profile").click()

    ana_page.goto(f"/@{ben}")
    ana_page.get_by_role("button", name="Request to follow").click()
    expect(ana_page.get_by_role("button", name="Cancel request")).to_be_visible()

    ben_page.goto("/notifications")
    note = ben_page.locator(".notifications li").first
    expect(note).to_contain_text("asked to follow you")
    # He answers right there, and stays on his notifications.
    note.get_by_role("button", name=f"Approve {ana}").click()
    expect(ben_page.get_by_text(f"Approved @{ana}.")).to_be_visible()
    expect(ben_page.get_by_role("heading", level=1)).to_have_text("Notifications")

    ana_page.reload()
    expect(ana_page.get_by_role("button", name="Unfollow")).to_be_visible()


def test_finding_someone_who_does_not_exist_says_so_next_to_the_box(page: Page, porch) -> None:
    porch.sign_up(page, porch.unique("ana"))
    page.get_by_placeholder("Find people: @name@their.server").fill("@nobody@nowhere.invalid")
    page.get_by_role("button", name="Find").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Find people")
    expect(page.locator("#q-error")).to_contain_text("We couldn't reach nowhere.invalid")
    expect(page.get_by_label("Name or handle")).to_have_value("@nobody@nowhere.invalid")


def test_ben_likes_and_boosts_anas_post_and_can_take_both_back(new_context, porch) -> None:
    ana, ben = porch.unique("ana"), porch.unique("ben")
    ana_page = new_context().new_page()
    ben_page = new_context().new_page()
    porch.sign_up(ana_page, ana)
    porch.sign_up(ben_page, ben)
    path = porch.write_post(ana_page, "First snow of the year on the hills.")
    porch.eventually(lambda: porch.status(ben_page, path) == 200)

    post = ben_page.locator("article.post.focus")
    post.get_by_role("button", name="Like").click()
    # The actions are icons named for screen readers; a pressed one stays pressed.
    like = ben_page.locator("article.post.focus").get_by_role("button", name="Like")
    expect(like).to_have_attribute("aria-pressed", "true")
    expect(like.locator("svg.icon-like")).to_be_visible()
    ben_page.locator("article.post.focus").get_by_role("button", name="Boost").click()
    boost = ben_page.locator("article.post.focus").get_by_role("button", name="Boost")
    expect(boost).to_have_attribute("aria-pressed", "true")

    ben_page.goto(f"/@{ben}")
    expect(ben_page.get_by_text(f"{ben} boosted")).to_be_visible()
    expect(ben_page.get_by_text("First snow of the year on the hills.")).to_be_visible()

    ana_page.goto("/notifications")
    expect(ana_page.locator(".notifications")).to_contain_text("liked your post")
    expect(ana_page.locator(".notifications")).to_contain_text("boosted your post")

    ben_page.goto(path)
    ben_page.locator("article.post.focus").get_by_role("button", name="Like").click()
    expect(
        ben_page.locator("article.post.focus").get_by_role("button", name="Like", exact=True)
    ).to_have_attribute("aria-pressed", "false")


def test_ana_lets_an_app_in_and_later_takes_its_access_back(page: Page, porch) -> None:
    import httpx

    ana = porch.unique("ana")
    registered = httpx.post(
        porch.url + "/api/v1/apps",
        data={
            "client_name": "Evening Reader",
            "redirect_uris": "urn:ietf:wg:oauth:2.0:oob",
            "scopes": "read write",
        },
    ).json()
    porch.sign_up(page, ana)
    query = (
        f"response_type=code&client_id={registered['client_id']}"
        "&redirect_uri=urn:ietf:wg:oauth:2.0:oob&scope=read+write"
    )
    page.goto("/oauth/authorize?" + query)
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Let Evening Reader use your account?"
    )
    asks = page.get_by_role("main").get_by_role("listitem")
    expect(asks.first).to_contain_text("read everything")
    page.get_by_role("button", name="Authorize").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Your code for Evening Reader")
    code = page.get_by_label("Authorization code").input_value()
    token = httpx.post(
        porch.url + "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "client_id": registered["client_id"],
            "client_secret": registered["client_secret"],
            "redirect_uri": "urn:ietf:wg:oauth:2.0:oob",
        },
    ).json()["access_token"]
    me = httpx.get(
        porch.url + "/api/v1/accounts/verify_credentials",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert me.json()["username"] == ana

    page.get_by_role("navigation", name="Account").get_by_role("link", name="Settings").click()
    page.get_by_role("main").get_by_role("link", name="Apps").click()
    expect(page.get_by_role("heading", name="Evening Reader")).to_be_visible()
    page.get_by_role("button", name="Take access back").click()
    expect(page.get_by_role("status")).to_contain_text("can no longer use your account")
    expect(page.get_by_text("No app uses your account.")).to_be_visible()
    again = httpx.get(
        porch.url + "/api/v1/accounts/verify_credentials",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert again.status_code == 401


def test_ben_sees_who_he_answers_gets_a_card_and_a_tone_nudge_and_rephrases(
    new_context, porch
) -> None:
    ana_name, ben_name = porch.unique("ana"), porch.unique("ben")
    ana = new_context().new_page()
    porch.sign_up(ana, ana_name)
    ana.goto("/settings/profile")
    ana.get_by_label("Bio").fill("Balcony gardener.")
    ana.get_by_label("How I like to be approached").fill("Kind words welcome; no lectures.")
    ana.get_by_role("button", name="Save profile").click()
    path = porch.write_post(ana, "My basil keeps dying.")
    post_id = path.rsplit("/", 1)[1]

    ben = new_context().new_page()
    porch.sign_up(ben, ben_name)
    porch.eventually(lambda: porch.status(ben, f"/compose?reply_to={post_id}") == 200)
    # Who Ana is, in one line that opens; how she likes to be approached, always shown.
    who = ben.locator("details.person-context")
    expect(who.locator("summary")).to_contain_text("never talked")
    who.locator("summary").click()
    expect(who).to_contain_text("Balcony gardener.")
    expect(who).to_contain_text("You have never talked")
    expect(ben.locator(".interaction-note")).to_contain_text("Kind words welcome; no lectures.")
    expect(ben.locator(".card")).to_contain_text(f"You and {ana_name} have not talked before")
    expect(ben.locator(".card")).to_contain_text("Why this card:")

    reply = ben.get_by_role("textbox", name="Your reply")
    reply.fill(f"@{ana_name} WHY WOULD YOU DO THAT???")
    ben.get_by_role("button", name="Reply", exact=True).click()
    nudge = ben.get_by_role("alert").filter(has_text="A second look?")
    expect(nudge).to_be_visible()
    expect(nudge.locator("mark").first).to_be_visible()
    expect(reply).to_have_value(f"@{ana_name} WHY WOULD YOU DO THAT???")

    reply.fill(f"@{ana_name} Oh no. Does it get enough sun?")
    ben.get_by_role("button", name="Reply with these words").click()
    expect(ben.locator("article.post.pending")).to_contain_text("Does it get enough sun?")


def test_posting_as_written_after_a_nudge_waits_longer(page: Page, porch) -> None:
    ana = porch.unique("ana")
    porch.sign_up(page, ana)
    path = porch.write_post(page, "Rainy day.")
    post_id = path.rsplit("/", 1)[1]
    timeout = porch.publish_timeout * 1000
    expect(page.locator("article.post.pending")).to_have_count(0, timeout=timeout)
    page.goto(f"/compose?reply_to={post_id}")
    page.get_by_role("textbox", name="Your reply").fill("THIS RAIN IS RIDICULOUS!!!")
    page.get_by_role("button", name="Reply", exact=True).click()
    page.get_by_role("button", name="Post as written").click()
    countdown = page.locator("article.post.pending .countdown")
    expect(countdown).to_have_text(re.compile(r"^[12] min \d\d s$"))  # not the usual 2 s


def test_an_admin_changes_the_pause_and_the_next_post_uses_it(page: Page, porch) -> None:
    admin = porch.unique("root")
    porch.make_admin(admin)
    porch.log_in(page, admin)
    page.goto("/admin/norms")
    form = page.locator("form#pause\\.post_seconds")
    form.get_by_label("Pause before a post").fill("40")
    form.get_by_label("Why").fill("A calmer evening")
    form.get_by_role("button", name="Save pause before a post").click()
    try:
        expect(page.get_by_role("status").first).to_contain_text("Saved “Pause before a post”")
        porch.write_post(page, "After the change.")
        countdown = page.locator("article.post.pending .countdown")
        expect(countdown).to_have_text(re.compile(r"^(39|40) s$"))
        page.goto("/admin/norms/history")
        expect(page.get_by_role("table")).to_contain_text("A calmer evening")
    finally:  # the other stories expect the session's short pause
        page.goto("/admin/norms")
        form = page.locator("form#pause\\.post_seconds")
        form.get_by_label("Pause before a post").fill(str(porch.server.post_pause))
        form.get_by_role("button", name="Save pause before a post").click()


def test_an_admin_reads_the_dashboard_charts(page: Page, porch) -> None:
    admin = porch.unique("root")
    porch.make_admin(admin)
    porch.log_in(page, admin)
    page.goto("/admin/members")
    page.get_by_role("link", name="What the norms did").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    charts = page.locator("main svg")
    expect(charts).to_have_count(8)  # six of the norms, the pile-on shield, the reports
    # The last is the moderators': reports and what became of them.
    expect(page.get_by_role("heading", name="Reports and what became of them")).to_be_visible()
    expect(charts.first.locator("title").first).not_to_have_text("")
    expect(page.get_by_role("table").first).to_be_visible()


def test_ben_reads_conversations_opens_why_and_switches_to_latest(new_context, porch) -> None:
    ana, ben = porch.unique("ana"), porch.unique("ben")
    ana_page = new_context().new_page()
    ben_page = new_context().new_page()
    porch.sign_up(ana_page, ana)
    porch.sign_up(ben_page, ben)
    ben_page.goto(f"/@{ana}")
    ben_page.get_by_role("button", name="Follow").click()
    words = f"Who else is planting garlic this week? asks {ana}"
    path = porch.write_post(ana_page, words)
    porch.eventually(lambda: porch.status(ben_page, path) == 200)

    ben_page.goto("/")
    tabs = ben_page.get_by_role("form", name="Order of your home timeline")
    expect(tabs.get_by_role("button", name="Conversations")).to_have_attribute(
        "aria-current", "page"
    )
    expect(ben_page.locator("article.post")).to_contain_text(words)
    why = ben_page.get_by_role("complementary", name="Why this post is here")
    expect(why.locator(".reasons")).to_contain_text(f"{ana} posts rarely")
    expect(why.locator(".reasons")).to_contain_text(f"You follow {ana}")
    why.get_by_text("Why this post").click()
    expect(why.get_by_role("table")).to_contain_text("Score")
    expect(why.get_by_role("link", name="How the score works")).to_be_visible()

    tabs.get_by_role("button", name="Latest").click()
    expect(tabs.get_by_role("button", name="Latest")).to_have_attribute("aria-current", "page")
    ben_page.reload()  # remembered
    expect(tabs.get_by_role("button", name="Latest")).to_have_attribute("aria-current", "page")
    expect(ben_page.locator("article.post")).to_contain_text(words)
    expect(ben_page.get_by_role("complementary", name="Why this post is here")).to_have_count(0)

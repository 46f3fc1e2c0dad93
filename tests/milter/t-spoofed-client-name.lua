-- t-spoofed-client-name: client_hosts match only a verified client name.
-- An unverified PTR ({client_ptr}, Sendmail's {client_resolve} FORGED or
-- "_" saying "(may be forged)"), "[ip]" and "unknown" match nothing,
-- not even a policy that lists "unknown" itself; the verified name does.
local H = dofile(os.getenv("top_srcdir") .. "/tests/milter/helper.lua")
local t = H.start("t-spoofed-client-name", H.policy("hostile.yaml"))

local NON_PARTNER = "mx.test; verdict=pass; partner=none; tls=none; cipher=none; bits=0; " ..
	"pfs=no; reasons=-; action=accept"

-- plaintext_mail - connect as host with macros, plaintext HELO, MAIL; returns conn, reply
local function plaintext_mail(host, macros)
	local conn = H.open(t)
	H.connect(t, conn, host, "198.51.100.9", H.concat(H.CONNECT, macros))
	H.helo(t, conn, "mx.partner.example", nil)
	return conn, H.mail(t, conn, "<alice@example.net>")
end

-- not_partner - the session must be judged as non-partner mail
local function not_partner(what, host, macros)
	local conn, reply = plaintext_mail(host, macros)
	H.expect_code(t, reply, SMFIR_CONTINUE, what .. ": MAIL FROM")
	H.expect_code(t, H.rcpt(t, conn, "<bob@example.org>"), SMFIR_CONTINUE, what .. ": RCPT TO")
	H.header(t, conn, "From", "<alice@example.net>")
	H.eom(t, conn)
	H.check_tag(t, conn, NON_PARTNER)
	mt.disconnect(conn)
end

not_partner("unverified PTR", "unknown",
	{ "{client_name}", "unknown", "{client_ptr}", "mx.partner.example" })
not_partner("\"[ip]\" name", "[198.51.100.9]",
	{ "{client_name}", "[198.51.100.9]", "{client_ptr}", "mx.partner.example" })
not_partner("Sendmail FORGED", "mx.partner.example",
	{ "{client_name}", "mx.partner.example", "{client_resolve}", "FORGED" })
not_partner("Sendmail may be forged", "mx.partner.example",
	{ "{client_name}", "mx.partner.example",
	"_", "mx.partner.example [198.51.100.9] (may be forged)" })
H.check(t, H.wait_count(t, "partner=none selector=none", 4), "want 4 non-partner verdicts")
H.check(t, H.count(t, "partner=hosts") == 0, "an unverified name matched client_hosts")

-- The verified name matches: plaintext is refused for that partner.
local conn, reply = plaintext_mail("mx.partner.example",
	{ "{client_name}", "mx.partner.example", "{client_ptr}", "mx.partner.example" })
H.expect_code(t, reply, SMFIR_REPLYCODE, "verified name: MAIL FROM")
H.check_log(t, "partner=hosts selector=client_hosts:*.partner.example")
mt.disconnect(conn)

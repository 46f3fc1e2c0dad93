-- t-exempt-authenticated: an authenticated session (SASL {auth_type}) is
-- exempt even from a partner that would reject it, and so is a client in
-- exempt.client_ips; both still get a tag header saying so.
local H = dofile(os.getenv("top_srcdir") .. "/tests/milter/helper.lua")
local t = H.start("t-exempt-authenticated", H.policy("partners.yaml"))

local conn = H.open(t)
H.connect(t, conn, "laptop.example.net", "203.0.113.5")
H.helo(t, conn, "laptop", nil)
H.expect_code(t, H.mail(t, conn, "<alice@reject.example>",
	H.concat(H.QUEUE_ID, { "{auth_type}", "PLAIN", "{auth_authen}", "alice" })),
	SMFIR_CONTINUE, "MAIL FROM an authenticated user in plaintext")
H.expect_code(t, H.rcpt(t, conn, "<bob@example.org>"), SMFIR_CONTINUE, "RCPT")
H.eom(t, conn)
H.check_tag(t, conn, "mx.test; verdict=exempt; partner=none; tls=none; cipher=none; " ..
	"bits=0; pfs=no; reasons=-; action=accept")
H.check_log(t, "sender=<alice@reject.example> partner=none selector=exempt_authenticated " ..
	"tls=none cipher=none bits=0 pfs=no verdict=exempt reasons=- action=accept")
mt.disconnect(conn)

local conn2 = H.open(t)
H.connect(t, conn2, "relay.example.net", "192.0.2.250")
H.helo(t, conn2, "relay", nil)
H.message(t, conn2, "<alice@reject.example>", "<bob@example.org>")
H.check_tag(t, conn2, "mx.test; verdict=exempt; partner=none; tls=none; cipher=none; " ..
	"bits=0; pfs=no; reasons=-; action=accept")
H.check_log(t, "selector=exempt_client_ips:192.0.2.250")
mt.disconnect(conn2)

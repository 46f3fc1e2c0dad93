-- t-plaintext-no-tls: a session without STARTTLS (no TLS macros at all)
-- fails "tls: true" with the one reason no-tls, and fails a TLS version
-- requirement with no-tls only (not also version-too-old or no-pfs).
local H = dofile(os.getenv("top_srcdir") .. "/tests/milter/helper.lua")
local t = H.start("t-plaintext-no-tls", H.policy("partners.yaml"))
local conn = H.open(t)

H.connect(t, conn, "mx.plain.example", "198.51.100.14")
H.helo(t, conn, "mx.plain.example", nil)
H.expect_code(t, H.mail(t, conn, "<alice@tls.example>"), SMFIR_REPLYCODE,
	"MAIL FROM a partner requiring TLS, in plaintext")
H.check_log(t, "sender=<alice@tls.example> partner=tlsonly selector=sender_domains:tls.example " ..
	"tls=none cipher=none bits=0 pfs=no verdict=fail reasons=no-tls action=reject")

H.message(t, conn, "<alice@tag.example>", "<bob@example.org>")
H.check_tag(t, conn, "mx.test; verdict=fail; partner=tagger; tls=none; cipher=none; " ..
	"bits=0; pfs=no; reasons=no-tls; action=tag")

mt.disconnect(conn)

-- t-testing-mode: a partner in testing mode is never refused: the mail is
-- tagged and logged with the action it would have had ("would-reject").
local H = dofile(os.getenv("top_srcdir") .. "/tests/milter/helper.lua")
local t = H.start("t-testing-mode", H.policy("partners.yaml"))
local conn = H.open(t)

H.connect(t, conn, "mx.testing.example", "198.51.100.21")
H.helo(t, conn, "mx.testing.example", H.TLS12_RSA)
H.message(t, conn, "<alice@testing.example>", "<bob@example.org>")
H.check_tag(t, conn, "mx.test; verdict=fail; partner=tester; tls=TLSv1.2; " ..
	"cipher=AES256-GCM-SHA384; bits=256; pfs=no; reasons=no-pfs; action=would-reject")
H.check_log(t, "partner=tester selector=sender_domains:testing.example tls=TLSv1.2 " ..
	"cipher=AES256-GCM-SHA384 bits=256 pfs=no verdict=fail reasons=no-pfs action=would-reject")
mt.disconnect(conn)

-- t-reject-partner: a partner whose action is "reject" is refused at MAIL
-- FROM (SMFIR_REPLYCODE: the milter's own 550 5.7.0 text), and another
-- partner's message on the same session is judged on its own.
local H = dofile(os.getenv("top_srcdir") .. "/tests/milter/helper.lua")
local t = H.start("t-reject-partner", H.policy("partners.yaml"))
local conn = H.open(t)

H.connect(t, conn, "mx.reject.example", "198.51.100.12")
H.helo(t, conn, "mx.reject.example", H.TLS12_RSA)
H.expect_code(t, H.mail(t, conn, "<alice@reject.example>"), SMFIR_REPLYCODE,
	"MAIL FROM a rejected partner")
H.check_log(t, "sender=<alice@reject.example> partner=rejecter " ..
	"selector=sender_domains:reject.example tls=TLSv1.2 cipher=AES256-GCM-SHA384 " ..
	"bits=256 pfs=no verdict=fail reasons=no-pfs action=reject")
H.check(t, H.count(t, "action=reject") == 1, "one decision line per refusal")

H.message(t, conn, "<alice@tag.example>", "<bob@example.org>")
H.check_tag(t, conn, "mx.test; verdict=fail; partner=tagger; tls=TLSv1.2; " ..
	"cipher=AES256-GCM-SHA384; bits=256; pfs=no; reasons=no-pfs; action=tag")

mt.disconnect(conn)

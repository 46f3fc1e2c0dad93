-- t-defer-partner: a partner whose action is "defer" is answered with a
-- tempfail at MAIL FROM (miltertest sees SMFIR_REPLYCODE: the milter set
-- its own 451 4.7.0 text; the code class is checked end to end with
-- Postfix).  The next message of the same session starts clean.
local H = dofile(os.getenv("top_srcdir") .. "/tests/milter/helper.lua")
local t = H.start("t-defer-partner", H.policy("partners.yaml"))
local conn = H.open(t)

H.connect(t, conn, "mx.defer.example", "198.51.100.11")
H.helo(t, conn, "mx.defer.example", H.TLS12_RSA)
H.expect_code(t, H.mail(t, conn, "<alice@defer.example>"), SMFIR_REPLYCODE,
	"MAIL FROM a deferred partner")
H.check_log(t, "4ABC123: tlspolicy: client=mx.defer.example[198.51.100.11] " ..
	"helo=mx.defer.example sender=<alice@defer.example> partner=deferrer " ..
	"selector=sender_domains:defer.example tls=TLSv1.2 cipher=AES256-GCM-SHA384 " ..
	"bits=256 pfs=no verdict=fail reasons=no-pfs action=defer")

-- libmilter is back in HELO state without an abort: the verdict must not stick.
H.message(t, conn, "<carol@example.net>", "<bob@example.org>")
H.check_tag(t, conn, "mx.test; verdict=pass; partner=none; tls=TLSv1.2; " ..
	"cipher=AES256-GCM-SHA384; bits=256; pfs=no; reasons=-; action=accept")

mt.disconnect(conn)

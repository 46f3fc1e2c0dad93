-- t-recipient-partner: recipient selectors are judged at each RCPT, for
-- that recipient only: a refusal refuses the one recipient, a quarantine
-- or tag decides the message's header.  The milter asks to see RCPT only
-- because this policy has recipient selectors.
local H = dofile(os.getenv("top_srcdir") .. "/tests/milter/helper.lua")
local t = H.start("t-recipient-partner", H.policy("recipients.yaml"))
local conn = H.open(t)

H.check(t, not mt.test_option(conn, SMFIP_NORCPT), "RCPT not requested")
H.connect(t, conn, "mx.example.net", "198.51.100.40")
H.helo(t, conn, "mx.example.net", H.TLS12_ECDHE)
H.expect_code(t, H.mail(t, conn, "<alice@example.net>"), SMFIR_CONTINUE, "MAIL FROM")
H.expect_code(t, H.rcpt(t, conn, "<bob@secure.example>"), SMFIR_REPLYCODE,
	"RCPT TO a recipient partner requiring TLS 1.3")
H.check_log(t, "4ABC123: tlspolicy: client=mx.example.net[198.51.100.40] helo=mx.example.net " ..
	"sender=<alice@example.net> rcpt=<bob@secure.example> partner=secure-inbox " ..
	"selector=recipient_domains:secure.example tls=TLSv1.2 " ..
	"cipher=ECDHE-RSA-AES256-GCM-SHA384 bits=256 pfs=yes verdict=fail " ..
	"reasons=version-too-old action=reject")
H.expect_code(t, H.rcpt(t, conn, "<carol@example.org>"), SMFIR_CONTINUE,
	"RCPT TO a recipient without a partner")
H.expect_code(t, H.rcpt(t, conn, "<dave@watched.example>"), SMFIR_CONTINUE,
	"RCPT TO a quarantining recipient partner")
H.header(t, conn, "From", "alice@example.net")
H.eom(t, conn)
H.check_tag(t, conn, "mx.test; verdict=fail; partner=watched-inbox; tls=TLSv1.2; " ..
	"cipher=ECDHE-RSA-AES256-GCM-SHA384; bits=256; pfs=yes; reasons=version-too-old; " ..
	"action=quarantine")
H.check(t, mt.eom_check(conn, MT_QUARANTINE), "message not quarantined")
H.check_log(t, "rcpt=<dave@watched.example> partner=watched-inbox " ..
	"selector=recipient_domains:watched.example")

-- Without a recipient partner the MAIL verdict stands.
H.message(t, conn, "<alice@example.net>", "<carol@example.org>")
H.check(t, not mt.eom_check(conn, MT_QUARANTINE), "plain message quarantined")
H.check_tag(t, conn, "mx.test; verdict=pass; partner=none; tls=TLSv1.2; " ..
	"cipher=ECDHE-RSA-AES256-GCM-SHA384; bits=256; pfs=yes; reasons=-; action=accept")
mt.disconnect(conn)

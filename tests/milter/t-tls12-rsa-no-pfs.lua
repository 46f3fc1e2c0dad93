-- t-tls12-rsa-no-pfs: TLS 1.2 with RSA key exchange (AES256-GCM-SHA384)
-- has no forward secrecy: a partner that requires it refuses the mail,
-- and mail from non-partners (whose defaults require nothing) passes.
local H = dofile(os.getenv("top_srcdir") .. "/tests/milter/helper.lua")
local t = H.start("t-tls12-rsa-no-pfs", H.policy("partners.yaml"))
local conn = H.open(t)

H.connect(t, conn, "mx.example.net", "198.51.100.15")
H.helo(t, conn, "mx.example.net", H.TLS12_RSA)
H.expect_code(t, H.mail(t, conn, "<alice@reject.example>"), SMFIR_REPLYCODE,
	"MAIL FROM a partner requiring PFS over RSA key exchange")
H.check_log(t, "partner=rejecter selector=sender_domains:reject.example tls=TLSv1.2 " ..
	"cipher=AES256-GCM-SHA384 bits=256 pfs=no verdict=fail reasons=no-pfs action=reject")

H.message(t, conn, "<carol@example.net>", "<bob@example.org>")
H.check_tag(t, conn, "mx.test; verdict=pass; partner=none; tls=TLSv1.2; " ..
	"cipher=AES256-GCM-SHA384; bits=256; pfs=no; reasons=-; action=accept")

mt.disconnect(conn)

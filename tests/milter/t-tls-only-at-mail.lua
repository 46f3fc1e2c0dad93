-- t-tls-only-at-mail: a client that sends MAIL right after STARTTLS, with
-- no second EHLO, brings the TLS macros only with MAIL (the milter asks
-- for them there with smfi_setsymlist).  They count; and MAIL macros
-- without TLS macros do not erase what HELO said.
local H = dofile(os.getenv("top_srcdir") .. "/tests/milter/helper.lua")
local t = H.start("t-tls-only-at-mail", H.policy("partners.yaml"))

local conn = H.open(t)
H.connect(t, conn, "mx.reject.example", "198.51.100.19")
H.helo(t, conn, "mx.reject.example", nil)
H.expect_code(t, H.mail(t, conn, "<alice@reject.example>", H.concat(H.QUEUE_ID, H.TLS13)),
	SMFIR_CONTINUE, "MAIL FROM with the TLS macros at MAIL only")
H.expect_code(t, H.rcpt(t, conn, "<bob@example.org>"), SMFIR_CONTINUE, "RCPT")
H.header(t, conn, "From", "alice@reject.example")
H.eom(t, conn)
H.check_tag(t, conn, "mx.test; verdict=pass; partner=rejecter; tls=TLSv1.3; " ..
	"cipher=TLS_AES_256_GCM_SHA384; bits=256; pfs=yes; reasons=-; action=accept")
mt.disconnect(conn)

local conn2 = H.open(t)
H.connect(t, conn2, "mx.reject.example", "198.51.100.19")
H.helo(t, conn2, "mx.reject.example", H.TLS12_ECDHE)
H.message(t, conn2, "<alice@reject.example>", "<bob@example.org>")
H.check_tag(t, conn2, "mx.test; verdict=pass; partner=rejecter; tls=TLSv1.2; " ..
	"cipher=ECDHE-RSA-AES256-GCM-SHA384; bits=256; pfs=yes; reasons=-; action=accept")
mt.disconnect(conn2)

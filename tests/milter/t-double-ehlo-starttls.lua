-- t-double-ehlo-starttls: HELO comes twice around STARTTLS, first without
-- TLS macros and then with them; the TLS facts are connection state that
-- the second HELO replaces wholesale.
local H = dofile(os.getenv("top_srcdir") .. "/tests/milter/helper.lua")
local t = H.start("t-double-ehlo-starttls", H.policy("partners.yaml"))

local conn = H.open(t)
H.connect(t, conn, "mx.reject.example", "198.51.100.18")
H.helo(t, conn, "mx.reject.example", nil)
H.helo(t, conn, "mx.reject.example", H.TLS13)
H.message(t, conn, "<alice@reject.example>", "<bob@example.org>")
H.check_tag(t, conn, "mx.test; verdict=pass; partner=rejecter; tls=TLSv1.3; " ..
	"cipher=TLS_AES_256_GCM_SHA384; bits=256; pfs=yes; reasons=-; action=accept")
mt.disconnect(conn)

-- Nothing of the first HELO's TLS facts survives the second.
local conn2 = H.open(t)
H.connect(t, conn2, "mx.reject.example", "198.51.100.18")
H.helo(t, conn2, "mx.reject.example", H.TLS12_ECDHE)
H.helo(t, conn2, "mx.reject.example", { "{tls_version}", "TLSv1.2",
	"{cipher}", "AES128-SHA", "{cipher_bits}", "128" })
H.expect_code(t, H.mail(t, conn2, "<alice@reject.example>"), SMFIR_REPLYCODE,
	"MAIL FROM after a second HELO without forward secrecy")
H.check_log(t, "partner=rejecter selector=sender_domains:reject.example tls=TLSv1.2 " ..
	"cipher=AES128-SHA bits=128 pfs=no verdict=fail reasons=no-pfs action=reject")
mt.disconnect(conn2)

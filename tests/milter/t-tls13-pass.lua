-- t-tls13-pass: TLS 1.3 (RFC cipher names, forward secret by design)
-- passes the strictest partner.
local H = dofile(os.getenv("top_srcdir") .. "/tests/milter/helper.lua")
local t = H.start("t-tls13-pass", H.policy("partners.yaml"))
local conn = H.open(t)

H.connect(t, conn, "mx.reject.example", "198.51.100.17")
H.helo(t, conn, "mx.reject.example", H.TLS13)
H.message(t, conn, "<alice@reject.example>", "<bob@example.org>")
H.check_tag(t, conn, "mx.test; verdict=pass; partner=rejecter; tls=TLSv1.3; " ..
	"cipher=TLS_AES_256_GCM_SHA384; bits=256; pfs=yes; reasons=-; action=accept")

mt.disconnect(conn)

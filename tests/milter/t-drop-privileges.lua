-- t-drop-privileges: with -u the milter opens its unix socket as root,
-- gives it mode 0660 and the -u user and group, then runs as that user
-- with no other group.  Needs root and the user nobody: skipped otherwise.
local H = dofile(os.getenv("top_srcdir") .. "/tests/milter/helper.lua")

-- sh - first line of a shell command's output
local function sh(command)
	local p = io.popen(command)
	local line = p:read("*l")
	p:close()
	return line
end

if sh("id -u") ~= "0" or sh("id -u nobody 2>/dev/null") == nil or
	sh("getent group nogroup") == nil then
	mt.echo("SKIP: needs root, the user nobody and the group nogroup")
	os.exit(77)
end

-- The socket must be reachable by nobody wherever the build tree is:
-- give the milter a directory of its own under /tmp.  (The pid file is
-- written as root, before the drop; tests/milter/privileges.sh checks it.)
local dir = sh("mktemp -d /tmp/tlspolicy-milter-test.XXXXXX")
H.check(nil, dir ~= nil and os.execute("chown nobody:nogroup " .. H.quote(dir)),
	"cannot make a directory for nobody")
local t = H.start_on("t-drop-privileges", H.policy("partners.yaml"),
	{ spec = "unix:" .. dir .. "/milter.sock", pidfile = dir .. "/milter.pid" },
	"-u", "nobody:nogroup")

local mode = sh("stat -c '%a %U %G' " .. H.quote(t.sock))
H.check(t, mode == "660 nobody nogroup", "socket: got '" .. tostring(mode) ..
	"', want '660 nobody nogroup'")
local status = H.read("/proc/" .. H.pid(t) .. "/status")
local uid = string.match(status, "\nUid:%s+([%d%s]-)\n")
local groups = string.match(status, "\nGroups:%s*([%d ]*)%s*\n")
H.check(t, uid ~= nil and string.match(uid, "^65534%s+65534%s+65534%s+65534%s*$") ~= nil,
	"uids after -u: got '" .. tostring(uid) .. "'")
H.check(t, groups ~= nil and string.match(groups, "^65534%s*$") ~= nil,
	"groups after -u: got '" .. tostring(groups) .. "'")

-- And it still serves.
local conn = H.open(t)
H.connect(t, conn, "mx.tag.example", "198.51.100.60")
H.helo(t, conn, "mx.tag.example", H.TLS13)
H.message(t, conn, "<alice@tag.example>", "<bob@example.org>")
H.check_tag(t, conn, "mx.test; verdict=pass; partner=tagger; tls=TLSv1.3; " ..
	"cipher=TLS_AES_256_GCM_SHA384; bits=256; pfs=yes; reasons=-; action=accept")
mt.disconnect(conn)
os.execute("rm -rf " .. H.quote(dir))

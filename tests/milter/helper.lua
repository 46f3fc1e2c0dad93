-- helper.lua - shared set-up for the miltertest protocol tests.
--
-- Each test loads it with
--   local H = dofile(os.getenv("top_srcdir") .. "/tests/milter/helper.lua")
-- and starts its own milter on its own socket under $top_builddir/tests/tmp,
-- so tests are independent and may run in parallel.  The milter runs in the
-- foreground (-f) as whoever runs make check; as root it must drop to a user
-- (-u H.user, default nobody, or MILTER_TEST_USER), which then has to read a
-- policy again on reload: if that user cannot reach tests/tmp (a build tree
-- under /root), the files go to a directory of their own under /tmp.  Its
-- stderr (the log lines) goes to H.tmp/NAME.log, which a failing check prints.
--
-- The MTA side follows what Postfix does: macros for a stage are sent just
-- before that stage's command (libmilter clears later stages' macros at each
-- HELO and MAIL), and HELO is always sent explicitly.

local H = {}

H.srcdir = os.getenv("top_srcdir") or "."
H.builddir = os.getenv("top_builddir") or "."
H.bin = os.getenv("MILTER_BIN") or (H.builddir .. "/tlspolicy-milter")
H.tmp = H.builddir .. "/tests/tmp"

local unpack = table.unpack or unpack

-- Macro sets, as Postfix sends them.
H.QUEUE_ID = { "i", "4ABC123" }
H.CONNECT = { "j", "mx.test", "{daemon_name}", "smtpd", "v", "Postfix 3.7.11" }
H.TLS12_RSA = { "{tls_version}", "TLSv1.2", "{cipher}", "AES256-GCM-SHA384",
	"{cipher_bits}", "256" }
H.TLS12_ECDHE = { "{tls_version}", "TLSv1.2", "{cipher}", "ECDHE-RSA-AES256-GCM-SHA384",
	"{cipher_bits}", "256" }
H.TLS13 = { "{tls_version}", "TLSv1.3", "{cipher}", "TLS_AES_256_GCM_SHA384",
	"{cipher_bits}", "256" }

-- H.concat - a new list: the elements of every list given, in order
function H.concat(...)
	local out = {}
	for _, list in ipairs({ ... }) do
		for _, v in ipairs(list) do
			out[#out + 1] = v
		end
	end
	return out
end

-- H.quote - one shell word
function H.quote(s)
	return "'" .. string.gsub(s, "'", "'\\''") .. "'"
end

-- first_line - the first line a shell command prints, or nil
local function first_line(command)
	local p = io.popen(command)
	local line = p:read("*l")
	p:close()
	return line
end

H.root = first_line("id -u") == "0"
H.user = os.getenv("MILTER_TEST_USER") or "nobody"

-- H.user_can - whether H.user passes "test FLAG path" (always true unless root)
function H.user_can(flag, path)
	if not H.root then
		return true
	end
	return os.execute("setpriv --reuid=" .. H.quote(H.user) .. " --regid=$(id -g " ..
		H.quote(H.user) .. ") --clear-groups test " .. flag .. " " .. H.quote(path) ..
		" 2>/dev/null") == true
end

-- H.tmp, as root: somewhere H.user can read (one per build tree).
if H.root then
	os.execute("mkdir -p " .. H.quote(H.tmp))
	if not H.user_can("-x", H.tmp) then
		local hash = 5381
		for i = 1, #H.builddir do
			hash = (hash * 33 + string.byte(H.builddir, i)) % 4294967296
		end
		H.tmp = string.format("/tmp/tlspolicy-milter-tests.%08x", hash)
		os.execute("mkdir -p " .. H.quote(H.tmp) .. " && chmod 755 " .. H.quote(H.tmp))
	end
end

-- H.read - a whole file, or "" when it cannot be read
function H.read(path)
	local f = io.open(path, "r")
	if f == nil then
		return ""
	end
	local text = f:read("*a") or ""
	f:close()
	return text
end

-- H.write - replace a file's content
function H.write(path, text)
	local f = assert(io.open(path, "w"))
	f:write(text)
	f:close()
end

-- H.policy - the path of a policy under tests/milter/policies
function H.policy(name)
	return H.srcdir .. "/tests/milter/policies/" .. name
end

-- H.fail - print the milter's log and stop the test
function H.fail(t, what)
	mt.echo("FAILED: " .. what)
	if t ~= nil then
		mt.echo("--- milter log " .. t.log .. " ---")
		mt.echo(H.read(t.log))
	end
	error(what, 2)
end

-- H.check - fail unless cond holds
function H.check(t, cond, what)
	if not cond then
		H.fail(t, what)
	end
end

-- H.socket_path - a unix socket path that fits sun_path (108 bytes)
local function socket_path(name)
	local path = H.tmp .. "/" .. name .. ".sock"
	if #path < 100 then
		return path
	end
	local scratch = os.tmpname()
	os.remove(scratch)
	return scratch .. ".sock"
end

-- H.start_on - start a milter for test NAME with POLICY and extra
-- arguments; opts (may be nil) may set spec (where to listen, libmilter
-- syntax; default a unix socket of the test's own), pidfile, and
-- may_fail (return nil instead of failing when the milter does not start).
-- As root, "-u H.user" is added unless the arguments give a -u.
-- Returns the test handle { name, spec, sock, log, pidfile, policy }.
function H.start_on(name, policy, opts, ...)
	opts = opts or {}
	os.execute("mkdir -p " .. H.quote(H.tmp))
	local t = {
		name = name,
		sock = socket_path(name),
		log = H.tmp .. "/" .. name .. ".log",
		pidfile = opts.pidfile or (H.tmp .. "/" .. name .. ".pid"),
		policy = policy,
	}
	if opts.spec ~= nil then
		t.spec = opts.spec
		t.sock = string.match(opts.spec, "^unix:(.*)$")
	else
		t.spec = "unix:" .. t.sock
	end
	os.remove(t.log)
	os.remove(t.pidfile)
	if t.sock ~= nil then
		os.remove(t.sock)
	end
	-- exec keeps the PID, so miltertest's SIGTERM at the end reaches the milter.
	-- MILTER_WRAPPER (shell words, e.g. "valgrind -q") runs it under a tool.
	local wrapper = os.getenv("MILTER_WRAPPER") or ""
	local script = 'exec ' .. wrapper .. ' "$0" "$@" 2>>' .. H.quote(t.log)
	local args = { ... }
	local has_user = false
	for _, a in ipairs(args) do
		has_user = has_user or a == "-u"
	end
	if H.root and not has_user then
		args[#args + 1] = "-u"
		args[#args + 1] = H.user
	end
	mt.startfilter("/bin/sh", "-c", script, H.bin, "-f", "-c", policy,
		"-p", t.spec, "-P", t.pidfile, unpack(args))
	-- The pid file is written once the policy is loaded and the socket open.
	if opts.may_fail then
		return H.wait_pid(t) ~= nil and t or nil
	end
	H.pid(t)
	return t
end

-- H.start - H.start_on() with the test's own unix socket
function H.start(name, policy, ...)
	return H.start_on(name, policy, nil, ...)
end

-- H.open - connect to the milter (retrying while it starts) and negotiate
function H.open(t)
	local conn = mt.connect(t.spec, 200, 0.05)
	H.check(t, conn ~= nil, "cannot connect to " .. t.spec)
	H.check(t, mt.negotiate(conn, nil, nil, nil) == nil, "negotiation failed")
	return conn
end

-- H.macros - send one stage's macros (nothing for an empty or nil list)
local function send_macros(conn, stage, macros)
	if macros ~= nil and #macros > 0 then
		assert(mt.macro(conn, stage, unpack(macros)) == nil, "mt.macro failed")
	end
end

-- H.reply_name - an SMFIR_* code as text, for messages
function H.reply_name(code)
	local names = {
		[SMFIR_CONTINUE] = "CONTINUE", [SMFIR_ACCEPT] = "ACCEPT",
		[SMFIR_REJECT] = "REJECT", [SMFIR_TEMPFAIL] = "TEMPFAIL",
		[SMFIR_DISCARD] = "DISCARD", [SMFIR_REPLYCODE] = "REPLYCODE",
	}
	return names[code] or tostring(code)
end

-- H.expect - the last reply must be want
function H.expect(t, conn, want, what)
	local got = mt.getreply(conn)
	H.check(t, got == want, what .. ": got reply " .. H.reply_name(got) ..
		", want " .. H.reply_name(want))
end

-- H.connect - connect event with macros (default H.CONNECT; {} for none)
function H.connect(t, conn, host, ip, macros)
	send_macros(conn, SMFIC_CONNECT, macros or H.CONNECT)
	H.check(t, mt.conninfo(conn, host, ip) == nil, "mt.conninfo failed")
	H.expect(t, conn, SMFIR_CONTINUE, "connect")
end

-- H.helo - HELO/EHLO with that stage's macros (TLS ones, or nil: plaintext)
function H.helo(t, conn, name, macros)
	send_macros(conn, SMFIC_HELO, macros)
	H.check(t, mt.helo(conn, name) == nil, "mt.helo failed")
	H.expect(t, conn, SMFIR_CONTINUE, "HELO")
end

-- H.mail - MAIL FROM with that stage's macros (nil: just H.QUEUE_ID);
-- returns the reply code
function H.mail(t, conn, sender, macros)
	send_macros(conn, SMFIC_MAIL, macros or H.QUEUE_ID)
	H.check(t, mt.mailfrom(conn, sender) == nil, "mt.mailfrom failed")
	return mt.getreply(conn)
end

-- H.rcpt - RCPT TO; returns the reply code (CONTINUE when the milter
-- negotiated not to see recipients at all)
function H.rcpt(t, conn, rcpt)
	if mt.test_option(conn, SMFIP_NORCPT) then
		return SMFIR_CONTINUE
	end
	send_macros(conn, SMFIC_RCPT, H.QUEUE_ID)
	H.check(t, mt.rcptto(conn, rcpt) == nil, "mt.rcptto failed")
	return mt.getreply(conn)
end

-- H.header - one header field (the milter asked for no reply)
function H.header(t, conn, name, value)
	H.check(t, mt.header(conn, name, value) == nil, "mt.header failed")
end

-- H.eom - end of message; the reply must be want (default CONTINUE)
function H.eom(t, conn, want)
	H.check(t, mt.eom(conn) == nil, "mt.eom failed")
	H.expect(t, conn, want or SMFIR_CONTINUE, "end of message")
end

-- H.message - a whole accepted transaction after HELO: MAIL, RCPT, headers, EOM
function H.message(t, conn, sender, rcpt, headers)
	H.expect_code(t, H.mail(t, conn, sender), SMFIR_CONTINUE, "MAIL FROM " .. sender)
	H.expect_code(t, H.rcpt(t, conn, rcpt), SMFIR_CONTINUE, "RCPT TO " .. rcpt)
	H.header(t, conn, "From", sender)
	for _, h in ipairs(headers or {}) do
		H.header(t, conn, h[1], h[2])
	end
	H.eom(t, conn)
end

-- H.expect_code - a returned reply code must be want
function H.expect_code(t, got, want, what)
	H.check(t, got == want, what .. ": got reply " .. H.reply_name(got) ..
		", want " .. H.reply_name(want))
end

-- H.check_tag - our header was inserted at the top with exactly this value
function H.check_tag(t, conn, value, name)
	name = name or "X-TLS-Policy"
	if not mt.eom_check(conn, MT_HDRINSERT, name, value, 0) then
		H.fail(t, "header " .. name .. ": got '" .. tostring(mt.getheader(conn, name, 0)) ..
			"', want '" .. value .. "' at index 0")
	end
end

-- H.log_has - whether the milter's log contains text (plain, not a pattern);
-- waits up to seconds (default 5) for it to appear
function H.log_has(t, text, seconds)
	local tries = math.floor((seconds or 5) / 0.05)
	for _ = 0, tries do
		if string.find(H.read(t.log), text, 1, true) ~= nil then
			return true
		end
		mt.sleep(0.05)
	end
	return false
end

-- H.check_log - the log must contain text
function H.check_log(t, text)
	H.check(t, H.log_has(t, text), "log line not found: " .. text)
end

-- H.count - occurrences of plain text in the log
function H.count(t, text)
	local n, pos, log = 0, 1, H.read(t.log)
	while true do
		local s, e = string.find(log, text, pos, true)
		if s == nil then
			return n
		end
		n, pos = n + 1, e + 1
	end
end

-- H.wait_count - wait up to 5 s until text occurs n times in the log
function H.wait_count(t, text, n)
	for _ = 0, 100 do
		if H.count(t, text) >= n then
			return H.count(t, text) == n
		end
		mt.sleep(0.05)
	end
	return false
end

-- H.wait_pid - the milter's PID from its -P pid file, or nil if none
-- appears within 10 s (the milter did not start)
function H.wait_pid(t)
	for _ = 1, 200 do
		local pid = string.match(H.read(t.pidfile), "^(%d+)\n$")
		if pid ~= nil then
			return pid
		end
		mt.sleep(0.05)
	end
	return nil
end

-- H.pid - the milter's PID; fails the test when there is none
function H.pid(t)
	local pid = H.wait_pid(t)
	if pid == nil then
		H.fail(t, "no pid file " .. t.pidfile)
	end
	return pid
end

-- H.signal - send a signal by name to the milter found in the pid file
function H.signal(t, name)
	local ok = os.execute("kill -" .. name .. " " .. H.pid(t))
	H.check(t, ok, "kill -" .. name .. " failed")
end

-- H.copy_policy - a private copy of a policy under tests/tmp (for reloads)
function H.copy_policy(name, as)
	os.execute("mkdir -p " .. H.quote(H.tmp))
	local path = H.tmp .. "/" .. as
	H.write(path, H.read(H.policy(name)))
	return path
end

return H

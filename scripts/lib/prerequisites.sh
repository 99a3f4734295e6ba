# Sourced by scripts/demo, scripts/test and .ci/run: installs what Relais needs on a
# Debian or Ubuntu machine when it is missing, and puts the Swift toolchain on PATH.
# Safe to run again: it installs nothing that is already there.

relais_packages=(liblua5.4-dev libedit-dev libsqlite3-dev pkg-config tzdata)

relais_sudo() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

relais_install_packages() {
    local missing=() package
    for package in "$@"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
    done
    if [ "${#missing[@]}" -gt 0 ]; then
        echo "Installing Debian packages: ${missing[*]}" >&2
        relais_sudo apt-get update -q >&2
        DEBIAN_FRONTEND=noninteractive relais_sudo apt-get install -y -q "${missing[@]}" >&2
    fi
}

relais_require_swift() {
    if ! command -v swift >/dev/null 2>&1; then
        if [ -x /opt/swift/usr/bin/swift ]; then
            export PATH="/opt/swift/usr/bin:$PATH"
        else
            echo "error: no Swift toolchain found. Install Swift 6.3 from swift.org (or put it in /opt/swift)." >&2
            return 1
        fi
    fi
}

# Python's `icalendar` package: the independent parser the iCalendar tests check our
# exports against.
relais_require_python_icalendar() {
    command -v python3 >/dev/null 2>&1 || relais_install_packages python3 python3-pip
    if ! python3 -c 'import icalendar' >/dev/null 2>&1; then
        echo "Installing Python's icalendar package" >&2
        python3 -m pip install --quiet icalendar >&2 \
            || python3 -m pip install --quiet --break-system-packages icalendar >&2 \
            || relais_install_packages python3-icalendar
    fi
}

relais_prerequisites() {
    if command -v dpkg-query >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
        relais_install_packages "${relais_packages[@]}"
    else
        echo "warning: not a Debian/Ubuntu system; make sure Lua 5.4, libedit and SQLite 3 development files are installed" >&2
    fi
    relais_require_swift
}

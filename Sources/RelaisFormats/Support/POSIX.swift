#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

// Thin wrappers so types with their own `read`/`write` methods can call the system
// functions without naming the platform's C module.

/// read(2).
func posixRead(_ descriptor: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    read(descriptor, buffer, count)
}

/// write(2).
func posixWrite(_ descriptor: Int32, _ buffer: UnsafeRawPointer?, _ count: Int) -> Int {
    write(descriptor, buffer, count)
}

/// The text of an `errno` value (the current one by default), e.g. `No such file or directory`.
func systemErrorText(_ code: Int32 = errno) -> String {
    String(cString: strerror(code))
}

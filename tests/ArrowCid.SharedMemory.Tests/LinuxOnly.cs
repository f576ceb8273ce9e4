// The store is built on Linux primitives (flock, futex, tmpfs); so are its tests.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]

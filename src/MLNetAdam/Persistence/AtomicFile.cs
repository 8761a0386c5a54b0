using System.Runtime.InteropServices;

namespace MLNetAdam.Persistence;

/// <summary>Writes a file so that readers see either the old file or the complete new one, never a partial write.</summary>
internal static partial class AtomicFile
{
    // "libc" resolves to the C library proper (glibc's libc.so.6): the bare name may find only a linker script, or nothing.
    static AtomicFile() => NativeLibrary.SetDllImportResolver(typeof(AtomicFile).Assembly, (name, assembly, path) =>
        name == "libc" && OperatingSystem.IsLinux() && NativeLibrary.TryLoad("libc.so.6", out nint handle) ? handle : 0);

    /// <summary>
    /// Checks that <paramref name="path"/> can be written: its folder exists, and it is a regular file or nothing (a
    /// symbolic link counts as its target). Throws <see cref="IOException"/> naming the path and the problem; used
    /// before training starts, so that a mistyped checkpoint folder fails at once rather than after the last epoch.
    /// </summary>
    public static string CheckDestination(string path, string what)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string fullPath = Resolve(Path.GetFullPath(path));
        string? directory = Path.GetDirectoryName(fullPath);
        if (directory is null || !Directory.Exists(directory))
            throw new DirectoryNotFoundException($"The folder of {what} '{path}' does not exist ({directory ?? "none"}); create it first.");
        if (Directory.Exists(fullPath))
            throw new IOException($"{what} '{path}' is a folder; give a file path.");
        if (IsSpecial(fullPath))
            throw new IOException($"{what} '{path}' is not a regular file (a device, pipe or socket); it will not be replaced. Give the path of a regular file.");
        return fullPath;
    }

    /// <summary>
    /// Writes to a short-named temporary file in the destination's folder, flushes it to disk, renames it over
    /// <paramref name="path"/> (a rename within one folder replaces the file in one step) and flushes the folder. A
    /// symbolic link at <paramref name="path"/> is followed: its target is replaced. A destination that is not a regular
    /// file is refused and left alone. On failure the temporary file is deleted and the previous file, if any, is untouched.
    /// </summary>
    /// <param name="path">The file to create or replace.</param>
    /// <param name="write">Writes the contents.</param>
    /// <param name="what">What the file is, for messages ("the checkpoint file").</param>
    public static void Write(string path, Action<Stream> write, string what = "The file")
    {
        string fullPath = CheckDestination(path, what);
        string directory = Path.GetDirectoryName(fullPath)!;
        // A short name, whatever the destination's length: a legal 255-byte name must not become an illegal temporary one.
        string temporary = Path.Combine(directory, $".mlna-{Guid.NewGuid():N}"[..14] + ".tmp");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, fullPath, overwrite: true);
            FlushDirectory(directory);
        }
        catch
        {
            try
            {
                File.Delete(temporary);
            }
            catch (IOException)
            {
                // The original error matters more than a leftover temporary file.
            }
            catch (UnauthorizedAccessException)
            {
            }
            throw;
        }
    }

    // Follows symbolic links to the final target (a dangling link's target is created).
    private static string Resolve(string path)
    {
        var info = new FileInfo(path);
        if (info.LinkTarget is null)
            return path;
        var target = info.ResolveLinkTarget(returnFinalTarget: true);
        return target?.FullName ?? path;
    }

    // A device node, a FIFO or a socket: on Linux through stat's file type (st_mode), whose offset in struct stat
    // depends on the architecture; elsewhere nothing is known and nothing is refused.
    private static unsafe bool IsSpecial(string path)
    {
        int modeOffset = RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => 24,
            Architecture.Arm64 => 16,
            _ => -1,
        };
        if (!OperatingSystem.IsLinux() || modeOffset < 0 || !Path.Exists(path))
            return false;
        byte* buffer = stackalloc byte[256];
        try
        {
            if (stat(path, buffer) != 0)
                return false;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false; // no usable libc binding: nothing is known, nothing is refused
        }
        uint type = *(uint*)(buffer + modeOffset) & 0xF000;
        return type is not (0x8000 or 0x4000); // neither a regular file nor a folder
    }

    // fsync on the folder makes the rename itself durable (POSIX); a no-op elsewhere.
    private static void FlushDirectory(string directory)
    {
        if (OperatingSystem.IsWindows())
            return;
        int fd;
        try
        {
            fd = open(directory, 0 /* O_RDONLY */);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return; // the rename is still atomic; only its durability across a power cut is not forced
        }
        if (fd < 0)
            return;
        try
        {
            fsync(fd);
        }
        finally
        {
            close(fd);
        }
    }

    [LibraryImport("libc", EntryPoint = "stat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static unsafe partial int stat(string path, byte* buffer);

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int close(int fd);
}

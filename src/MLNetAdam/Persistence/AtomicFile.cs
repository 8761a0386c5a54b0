namespace MLNetAdam.Persistence;

/// <summary>Writes a file so that readers see either the old file or the complete new one, never a partial write.</summary>
internal static class AtomicFile
{
    /// <summary>
    /// Writes to a temporary file in the destination's folder, flushes it to disk, then renames it over
    /// <paramref name="path"/> (a rename within one folder replaces the file in one step). On failure the temporary
    /// file is deleted and the previous file, if any, is left untouched.
    /// </summary>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string fullPath = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(fullPath) ?? throw new ArgumentException($"'{path}' has no folder.", nameof(path));
        string temporary = Path.Combine(directory, $".{Path.GetFileName(fullPath)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, fullPath, overwrite: true);
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
}

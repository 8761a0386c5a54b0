namespace MLNetAdam.Tests;

/// <summary>Locates the files of the test project's TestData folder (copied next to the test assembly).</summary>
internal static class TestData
{
    /// <summary>Full path of <paramref name="fileName"/> in the TestData folder of the build output.</summary>
    public static string PathOf(string fileName)
    {
        string path = Path.Combine(AppContext.BaseDirectory, "TestData", fileName);
        if (!File.Exists(path))
            throw new FileNotFoundException($"Test data file '{fileName}' was not copied to the output directory.", path);
        return path;
    }
}

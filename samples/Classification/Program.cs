namespace Placeholder; internal static class Program { private static void Main() { } }

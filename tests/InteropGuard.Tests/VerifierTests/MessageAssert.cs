using System;
using Xunit.Sdk;

namespace InteropGuard.Tests.VerifierTests
{
    /// <summary>
    /// Substring checks on verifier failures that print the whole message when they fail: xunit's own Contains
    /// truncates it, and the message is exactly what these tests are about.
    /// </summary>
    internal static class MessageAssert
    {
        public static void Contains(string expected, Exception exception)
        {
            if (!exception.Message.Contains(expected, StringComparison.Ordinal))
            {
                throw new XunitException($"Expected the verifier's message to contain:\n{expected}\n\nFull message:\n{exception.Message}");
            }
        }

        public static void DoesNotContain(string unexpected, Exception exception)
        {
            if (exception.Message.Contains(unexpected, StringComparison.Ordinal))
            {
                throw new XunitException($"Expected the verifier's message not to contain:\n{unexpected}\n\nFull message:\n{exception.Message}");
            }
        }
    }
}

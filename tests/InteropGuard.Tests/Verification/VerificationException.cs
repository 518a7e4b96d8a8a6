using System;

namespace InteropGuard.Tests.Verification
{
    /// <summary>
    /// A test expectation that did not hold. A distinct type so verifier self-tests can tell a verification
    /// failure from a bug in the verifier itself.
    /// </summary>
    public sealed class VerificationException : Exception
    {
        public VerificationException(string message)
            : base(message)
        {
        }

        public VerificationException(string message, Exception innerException)
            : base(message, innerException)
        {
        }
    }
}

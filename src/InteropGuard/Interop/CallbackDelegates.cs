using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Interop
{
    internal enum DelegateLifetime
    {
        /// <summary>Where the delegate comes from is not visible here (a field, a parameter, a call's result).</summary>
        Unknown,

        /// <summary>The compiler caches the delegate in a static field: it stays reachable for the life of the program.</summary>
        Cached,

        /// <summary>A new delegate object is allocated each time; only references the program keeps hold it alive.</summary>
        Allocated,
    }

    /// <summary>
    /// Delegate creation shapes and whether the C# compiler caches the delegate in a static field. Non-capturing
    /// lambdas are cached by every Roslyn version; method groups of static methods only from C# 11 on (earlier
    /// versions allocate a new delegate per evaluation). Capturing lambdas, instance method groups and explicit
    /// <c>new D(M)</c> allocate.
    /// </summary>
    internal static class CallbackDelegates
    {
        public static DelegateLifetime Classify(IOperation value)
        {
            if (!(value is IDelegateCreationOperation creation))
            {
                return DelegateLifetime.Unknown;
            }

            switch (creation.Target)
            {
                case IAnonymousFunctionOperation lambda:
                    return Captures(lambda) ? DelegateLifetime.Allocated : DelegateLifetime.Cached;
                case IMethodReferenceOperation method when method.Method.MethodKind == MethodKind.LocalFunction && !method.Method.IsStatic:
                    // A local function that reads 'this' or a variable of an enclosing scope is lowered onto the
                    // closure (or the instance), and no compiler caches a delegate bound to one: each conversion
                    // allocates. One that captures nothing may be lowered to a static method, whose caching depends on
                    // the compiler version and lowering: stay silent rather than guess.
                    return DeclarationOf(method) is { } local && Captures(local.Body ?? local.IgnoredBody, local.Syntax.Span, local.Symbol.IsStatic)
                        ? DelegateLifetime.Allocated
                        : DelegateLifetime.Unknown;
                case IMethodReferenceOperation method:
                    if (method.Instance != null || !method.Method.IsStatic || IsExplicitCreation(creation.Syntax))
                    {
                        return DelegateLifetime.Allocated;
                    }

                    return SupportsStaticMethodGroupCaching(creation.Syntax.SyntaxTree) ? DelegateLifetime.Cached : DelegateLifetime.Allocated;
                case IDelegateCreationOperation inner:
                    // new D(otherDelegate) wraps a fresh delegate around the other one.
                    return IsExplicitCreation(creation.Syntax) ? DelegateLifetime.Allocated : Classify(inner);
                default:
                    // new D(someDelegate) and similar: a fresh object bound to whatever the operand is.
                    return IsExplicitCreation(creation.Syntax) ? DelegateLifetime.Allocated : DelegateLifetime.Unknown;
            }
        }

        /// <summary>A short description of the shape for messages: "lambda", "'OnEvent'", "'new Callback(OnEvent)'".</summary>
        public static string Describe(IDelegateCreationOperation creation)
        {
            if (creation.Target is IAnonymousFunctionOperation && !IsExplicitCreation(creation.Syntax))
            {
                return "The lambda's delegate";
            }

            var text = creation.Syntax.ToString();
            if (text.Length > 40 || text.IndexOf('\n') >= 0)
            {
                text = creation.Target is IMethodReferenceOperation method ? method.Method.Name : "new " + creation.Type?.Name + "(...)";
            }

            return "Delegate '" + text + "'";
        }

        /// <summary>True when the delegate refers to <c>this</c>, so a field keeping it belongs to the instance.</summary>
        public static bool UsesInstance(IOperation value)
        {
            if (!(value is IDelegateCreationOperation creation))
            {
                return false;
            }

            switch (creation.Target)
            {
                case IMethodReferenceOperation method:
                    return method.Instance is IInstanceReferenceOperation;
                case IAnonymousFunctionOperation lambda:
                    foreach (var operation in lambda.Body.Descendants())
                    {
                        if (operation is IInstanceReferenceOperation)
                        {
                            return true;
                        }
                    }

                    return false;
                default:
                    return false;
            }
        }

        private static bool IsExplicitCreation(SyntaxNode syntax)
            => syntax is ObjectCreationExpressionSyntax || syntax is ImplicitObjectCreationExpressionSyntax;

        private static bool SupportsStaticMethodGroupCaching(SyntaxTree tree)
            => tree.Options is CSharpParseOptions options && options.LanguageVersion >= LanguageVersion.CSharp11;

        // A lambda is emitted as a cached static delegate unless it reads 'this' or a variable of an enclosing scope.
        private static bool Captures(IAnonymousFunctionOperation lambda) => Captures(lambda.Body, lambda.Syntax.Span, lambda.Symbol.IsStatic);

        // Whether a function body with the given extent reads 'this' or a variable declared outside it.
        private static bool Captures(IOperation? body, Microsoft.CodeAnalysis.Text.TextSpan span, bool isStatic)
        {
            if (isStatic || body == null)
            {
                return false;
            }

            foreach (var operation in body.Descendants())
            {
                switch (operation)
                {
                    // An object or collection initializer's implicit receiver is the new object, not 'this'.
                    case IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance }:
                        return true;
                    case ILocalReferenceOperation local when !local.Local.IsConst && !DeclaredWithin(local.Local, span) && !InNameOf(local, body):
                        return true;
                    case IParameterReferenceOperation parameter when !DeclaredWithin(parameter.Parameter, span) && !InNameOf(parameter, body):
                        return true;
                }
            }

            return false;
        }

        // nameof(x) reads no variable, so it captures none.
        private static bool InNameOf(IOperation reference, IOperation lambda)
        {
            for (var current = reference.Parent; current != null && current != lambda; current = current.Parent)
            {
                if (current is INameOfOperation)
                {
                    return true;
                }
            }

            return false;
        }

        // The local function a method group names, declared in the same body as the conversion.
        private static ILocalFunctionOperation? DeclarationOf(IMethodReferenceOperation reference)
        {
            var target = reference.Method.OriginalDefinition;
            foreach (var operation in OperationTree.Root(reference).Descendants())
            {
                if (operation is ILocalFunctionOperation local && SymbolEqualityComparer.Default.Equals(local.Symbol.OriginalDefinition, target))
                {
                    return local;
                }
            }

            return null;
        }

        private static bool DeclaredWithin(ISymbol symbol, Microsoft.CodeAnalysis.Text.TextSpan span)
            => symbol.Locations.Length > 0 && span.Contains(symbol.Locations[0].SourceSpan);
    }
}

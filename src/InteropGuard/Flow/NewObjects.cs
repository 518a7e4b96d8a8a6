using System.Collections.Concurrent;
using System.Linq;
using InteropGuard.Interop;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Flow
{
    /// <summary>
    /// A value that is an object just made, and so never null: a <c>new</c> object or array, a local declared with one and never written
    /// again, or the result of a non-virtual method of the compilation every <c>return</c> of which is a <c>new</c>
    /// (NtCoreLib's <c>ResourceString.Create(ptr)</c>, which returns <c>new ResourceString(id)</c> or
    /// <c>new ResourceString(name)</c>). A callee's null check of such an argument cannot be what throws.
    /// </summary>
    internal static class NewObjects
    {
        private const int MaxDepth = 2;

        public static bool Holds(InteropContext context, IOperation value, StableValues stable, int depth = 0)
        {
            switch (OperationTree.SkipConversions(value))
            {
                case IObjectCreationOperation or IArrayCreationOperation:
                    return true;
                case ILocalReferenceOperation local when depth < MaxDepth && stable.InitializerOf(local.Local, local.SemanticModel) is { } initializer:
                    return Holds(context, initializer, stable, depth + 1);
                case IInvocationOperation { IsVirtual: false, TargetMethod: { MethodKind: MethodKind.Ordinary } method }
                    when WrapperSummaries.IsSourceMethodWithBody(method):
                    return Factories.Of(context).ReturnsOnlyNew(method.OriginalDefinition);
                default:
                    return false;
            }
        }

        /// <summary>Which methods return only <c>new</c> objects: each body's returns walked once per compilation.</summary>
        private sealed class Factories
        {
            private readonly InteropContext _context;
            private readonly ConcurrentDictionary<IMethodSymbol, bool> _answers = ConcurrentTables.Create<IMethodSymbol, bool>(SymbolEqualityComparer.Default);

            private Factories(InteropContext context)
            {
                _context = context;
            }

            public static Factories Of(InteropContext context) => context.Held.Get(c => new Factories(c));

            public bool ReturnsOnlyNew(IMethodSymbol method)
                => _answers.TryGetValue(method, out var answer) ? answer : _answers.GetOrAdd(method, Read);

            private bool Read(IMethodSymbol method)
            {
                if (_context.Wrappers.GetBody(method) is not { } body)
                {
                    return false;
                }

                var returns = body.Descendants().OfType<IReturnOperation>().Where(r => !OperationTree.IsInNestedFunction(r, body)).ToList();
                return returns.Count > 0
                       && returns.All(r => r.Kind == OperationKind.Return && r.ReturnedValue != null && OperationTree.SkipConversions(r.ReturnedValue) is IObjectCreationOperation or IArrayCreationOperation);
            }
        }
    }
}

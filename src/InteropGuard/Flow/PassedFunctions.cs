using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using InteropGuard.Interop;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Flow
{
    /// <summary>
    /// What a delegate parameter of a private method can hold: the lambdas and method groups its callers pass. A private
    /// method is called only from its own type, so every call site can be read; when each one passes a function written
    /// there, a call of the parameter runs one of those (<c>SetCompare(db, (lib, f) =&gt; lib.set_compare(db, f))</c> with
    /// <c>setter(lib, compare)</c> inside). Anything else — a delegate from a field or another parameter, the method used
    /// as a method group, the parameter assigned in the body — leaves the answer unknown (empty).
    /// </summary>
    internal sealed class PassedFunctions
    {
        private readonly InteropContext _context;
        private readonly ConcurrentDictionary<IParameterSymbol, ImmutableArray<IOperation>> _passed = ConcurrentTables.Create<IParameterSymbol, ImmutableArray<IOperation>>(SymbolEqualityComparer.Default);

        private PassedFunctions(InteropContext context)
        {
            _context = context;
        }

        /// <summary>The compilation's one instance, held by its context.</summary>
        public static PassedFunctions Of(InteropContext context) => context.Held.Get(c => new PassedFunctions(c));

        /// <summary>
        /// The functions (<see cref="IAnonymousFunctionOperation"/> or <see cref="IMethodReferenceOperation"/>) every call of
        /// <paramref name="parameter"/>'s method passes for it, at least one; empty when some call site, or the method's
        /// own body, leaves it open.
        /// </summary>
        public ImmutableArray<IOperation> For(IParameterSymbol parameter, IOperation body)
        {
            if (parameter.RefKind != RefKind.None || parameter.Type.TypeKind != TypeKind.Delegate
                || parameter.ContainingSymbol is not IMethodSymbol { MethodKind: MethodKind.Ordinary, DeclaredAccessibility: Accessibility.Private, IsVirtual: false, IsAbstract: false, IsOverride: false } method
                || method.ContainingType is not { } type || method.IsGenericMethod || IsWritten(body, parameter))
            {
                return ImmutableArray<IOperation>.Empty;
            }

            return _passed.GetOrAdd(parameter.OriginalDefinition, p => Collect((IMethodSymbol)p.ContainingSymbol, type, p.Ordinal));
        }

        // Assigned, or written another way (OperationTree.IsOtherWrite: compound, ??=, ref/out, deconstruction): the body may
        // call something else than what the callers passed.
        private static bool IsWritten(IOperation body, IParameterSymbol parameter)
            => body.Descendants().OfType<IParameterReferenceOperation>().Any(r => SymbolEqualityComparer.Default.Equals(r.Parameter, parameter)
                   && ((r.Parent is ISimpleAssignmentOperation { } a && a.Target == r) || OperationTree.IsOtherWrite(r)));

        private ImmutableArray<IOperation> Collect(IMethodSymbol method, INamedTypeSymbol type, int ordinal)
        {
            // A private member is reachable from the outermost type's declarations (nested types see it too).
            var outermost = type;
            while (outermost.ContainingType != null)
            {
                outermost = outermost.ContainingType;
            }

            var passed = ImmutableArray.CreateBuilder<IOperation>();
            var compilation = _context.Compilation;
            foreach (var declaration in outermost.DeclaringSyntaxReferences)
            {
                var node = declaration.GetSyntax(CancellationToken.None);
                if (!compilation.ContainsSyntaxTree(node.SyntaxTree))
                {
                    return ImmutableArray<IOperation>.Empty;
                }

                foreach (var reference in NameReferences.To(method, node, compilation))
                {
                    // The name must be what a call invokes (M(..) or this.M(..)); a method group given elsewhere is called unseen.
                    if (reference.Invocation(CancellationToken.None) is not { } invocation)
                    {
                        return ImmutableArray<IOperation>.Empty;
                    }

                    var argument = invocation.Arguments.FirstOrDefault(a => a.Parameter?.Ordinal == ordinal);
                    if (argument == null || argument.ArgumentKind != ArgumentKind.Explicit
                        || OperationTree.SkipConversions(argument.Value) is not IDelegateCreationOperation { Target: IAnonymousFunctionOperation or IMethodReferenceOperation } creation)
                    {
                        return ImmutableArray<IOperation>.Empty;
                    }

                    passed.Add(creation.Target);
                }
            }

            return passed.ToImmutable();
        }
    }
}

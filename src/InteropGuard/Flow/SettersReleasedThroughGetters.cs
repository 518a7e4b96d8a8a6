using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;
using InteropGuard.Interop;

namespace InteropGuard.Flow
{
    /// <summary>
    /// A native setter whose block the library itself later frees through the matching getter: <c>X_SetPoints(obj, block)</c>
    /// where the setter's class also declares the native <c>X_GetPoints(obj)</c>, and the class that calls the setter (its
    /// <c>Dispose</c>, or the next call of the setter) hands the getter's result to a catalogued release — BulletSharp's HACD wrapper stores
    /// an <c>AllocHGlobal</c> block with <c>HACD_HACD_SetPoints</c> and frees <c>HACD_HACD_GetPoints(Native)</c> in
    /// <c>Dispose</c>. The library's own code says the native object keeps the block, so freeing it after the setter
    /// would leave that object dangling: the block has another holder, as with a catalogued keeping function. Only a
    /// getter taking nothing but the setter's first parameter's type and returning the stored parameter's type counts,
    /// and only a result passed, directly or through a local it initializes, to a release of the catalogue in force. One
    /// instance per compilation; each getter's uses are read once.
    /// </summary>
    internal sealed class SettersReleasedThroughGetters
    {
        private readonly InteropContext _context;
        private readonly ConcurrentDictionary<(IMethodSymbol, INamedTypeSymbol), ImmutableArray<(IMethodSymbol Method, int Ordinal)>> _receivers
            = ConcurrentTables.Create<(IMethodSymbol, INamedTypeSymbol), ImmutableArray<(IMethodSymbol, int)>>(SymbolPairComparer<IMethodSymbol, INamedTypeSymbol>.Instance);

        private SettersReleasedThroughGetters(InteropContext context) => _context = context;

        public static SettersReleasedThroughGetters Of(InteropContext context) => context.Held.Get(c => new SettersReleasedThroughGetters(c));

        /// <summary>
        /// Whether <paramref name="setter"/>, called by <paramref name="call"/>, keeps what it is given as
        /// <paramref name="parameter"/> (see above): the getter's results are read in the class that holds the call.
        /// </summary>
        public bool Keeps(IOperation call, NativeFunction setter, IParameterSymbol parameter, AllocationCatalogue catalogue)
        {
            var method = setter.Method;
            if (parameter.Ordinal == 0 || parameter.RefKind != RefKind.None || !PointerSizedTypes.Is(parameter.Type) || method.Parameters.Length != 2
                || GetterOf(method, parameter.Type) is not { } getter
                || call.Syntax.FirstAncestorOrSelf<TypeDeclarationSyntax>() is not { } declaration
                || (call.SemanticModel ?? catalogue.ModelOf(call.Syntax.SyntaxTree)) is not { } model || model.GetDeclaredSymbol(declaration) is not INamedTypeSymbol holder)
            {
                return false;
            }

            foreach (var (release, ordinal) in ReceiversOf(getter, holder))
            {
                if (catalogue.TryGetDeallocator(release, out var deallocator) && deallocator.PointerParameter == ordinal)
                {
                    return true;
                }
            }

            return false;
        }

        // 'X_SetPoints' → 'X_GetPoints' ('x_set_points' → 'x_get_points') in the same class: native, one parameter of the owner's type, returning the block's type.
        private IMethodSymbol? GetterOf(IMethodSymbol setter, ITypeSymbol stored)
        {
            var name = setter.Name;
            var at = name.LastIndexOf("Set", System.StringComparison.Ordinal);
            var snake = name.LastIndexOf("_set_", System.StringComparison.Ordinal);
            string getterName;
            if (at >= 0 && (at == 0 || !char.IsLower(name[at - 1])))
            {
                getterName = name.Substring(0, at) + "Get" + name.Substring(at + 3);
            }
            else if (snake >= 0 || name.StartsWith("set_", System.StringComparison.Ordinal))
            {
                getterName = snake >= 0 ? name.Substring(0, snake) + "_get_" + name.Substring(snake + 5) : "get_" + name.Substring(4);
            }
            else
            {
                return null;
            }

            if (setter.ContainingType is not { } type)
            {
                return null;
            }

            foreach (var member in type.GetMembers(getterName))
            {
                if (member is IMethodSymbol { Parameters.Length: 1 } getter && getter.Parameters[0].RefKind == RefKind.None
                    && SymbolEqualityComparer.Default.Equals(getter.Parameters[0].Type, setter.Parameters[0].Type)
                    && SymbolEqualityComparer.Default.Equals(getter.ReturnType, stored)
                    && _context.NativeFunctions.Get(getter) != null)
                {
                    return getter;
                }
            }

            return null;
        }

        // The calls (and argument ordinals) the getter's results reach in its class: a result passed straight to a call, or
        // through a local its declaration initializes and nothing writes again, passed to a call in the same body.
        private ImmutableArray<(IMethodSymbol, int)> ReceiversOf(IMethodSymbol getter, INamedTypeSymbol holder)
            => _receivers.TryGetValue((getter, holder), out var known) ? known : _receivers.GetOrAdd((getter, holder), Read(getter, holder));

        private ImmutableArray<(IMethodSymbol, int)> Read(IMethodSymbol getter, INamedTypeSymbol holder)
        {
            var receivers = ImmutableArray.CreateBuilder<(IMethodSymbol, int)>();
            foreach (var declaration in holder.DeclaringSyntaxReferences)
            {
                foreach (var reference in NameReferences.To(getter, declaration.GetSyntax(), _context.Compilation))
                {
                    if (reference.Invocation(default) is not { } call)
                    {
                        continue;
                    }

                    var value = OperationTree.WithEveryConversion(call);
                    if (value.Parent is IArgumentOperation { Parent: IInvocationOperation receiver, Parameter: { } parameter })
                    {
                        receivers.Add((receiver.TargetMethod, parameter.Ordinal));
                    }
                    else if (value.Parent is IVariableInitializerOperation { Parent: IVariableDeclaratorOperation { Symbol: var local } })
                    {
                        // A local written again may hold another block when it is released (SetPoints reuses its local
                        // for the new block): only one whose single value is the getter's result counts.
                        var body = OperationTree.Root(call);
                        if (!LocalOrigins.In(body).TryGetValue(local, out var origin) || OperationTree.SkipEveryConversion(origin) != call)
                        {
                            continue;
                        }

                        var uses = OperationTree.ReferencesTo(body, local);
                        foreach (var use in uses)
                        {
                            if (OperationTree.WithEveryConversion(use).Parent is IArgumentOperation { Parent: IInvocationOperation user, Parameter: { } used })
                            {
                                receivers.Add((user.TargetMethod, used.Ordinal));
                            }
                        }
                    }
                }
            }

            return receivers.ToImmutable();
        }
    }
}

import { Query, Resolver } from '@nestjs/graphql';
import { TicketService } from './ticket.service';

@Resolver()
export class TicketResolver {
  constructor(private readonly tickets: TicketService) {}

  @Query(() => String)
  cas(): Promise<string> {
    return this.tickets.current();
  }
}
